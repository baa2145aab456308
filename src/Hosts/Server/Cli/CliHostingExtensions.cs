namespace Sower.Server.Cli;

/// <summary>What the CLI needs from the server beyond the REST API and the garden gateway.</summary>
public static class CliHostingExtensions
{
    /// <summary>Maps the CLI hub at <c>/hubs/cli</c> and the admin-only cluster inspection endpoints. Needs
    /// <c>AddSowerGateway</c> (SignalR) and <c>WithSowerInspection()</c> on the actor system.</summary>
    public static WebApplication MapSowerCliGateway(this WebApplication app)
    {
        app.MapHub<CliHub>(CliHub.Path);
        app.MapClusterEndpoints();
        return app;
    }
}
