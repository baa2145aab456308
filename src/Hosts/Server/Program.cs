using Akka.Hosting;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.RebootLocks;
using Sower.Actors.Server;
using Sower.Actors.Server.Inspection;
using Sower.Actors.Server.Projections;
using Sower.Actors.Webhooks;
using Sower.Messages.Webhooks;
using Sower.Server.Api;
using Sower.Server.Auth;
using Sower.Server.Cli;
using Sower.Server.Configuration;
using Sower.Server.Gateway;
using Sower.Server.Health;
using Sower.Server.Metrics;
using Sower.Server.Sessions;
using Sower.Server.Ui;

if (ServerConfigCheck.IsRequested(args)) return ServerConfigCheck.Run(args, Console.Out, Console.Error);
if (args is [BreakGlassCommand.Name, ..])
{
    return await BreakGlassCommand.RunAsync(args[1..], ServerOptionsLoader.ProcessEnvironment(), Console.Out, Console.Error);
}

var loaded = ServerOptionsLoader.LoadAndPrepare(args, ServerOptionsLoader.ProcessEnvironment());
if (!loaded.IsValid)
{
    loaded.WriteProblems(Console.Error);
    return ServerOptionsResult.ExitCode;
}

// Held for the process lifetime: the offline break-glass (admin-token) refuses to run while any server holds it.
using var dataDirLock = DataDirectoryLock.TryShared(loaded.Options!.DataDir);
if (dataDirLock is null)
{
    Console.Error.WriteLine($"sower-server: \"sower-server {BreakGlassCommand.Name}\" is writing to {loaded.Options.DataDir}; start the server when it has finished.");
    return BreakGlassCommand.ServerRunningExitCode;
}

var app = SowerServerApp.Build(loaded.Options!);
await app.RunAsync();
// A node that would have formed a second cluster on a journal another cluster writes stops with a message and 78.
return Sower.Actors.Hosting.Membership.ClusterFormationGuard.RefusedBecause is null ? 0 : Sower.Actors.Hosting.Membership.ClusterFormationGuard.RefusedExitCode;

/// <summary>
/// Composes the whole server from the feature extensions: infrastructure (options, auth, health, persistence, cluster,
/// tokens), the entities and projections, the garden gateway and the REST API. Tests build the same app.
/// </summary>
public static class SowerServerApp
{
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null, GatewayOptions? gateway = null,
        Func<ServerEntitySettings, ServerEntitySettings>? entities = null)
    {
        // Flags were consumed by the options loader; ASP.NET Core gets none so they cannot be read twice.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        configure?.Invoke(builder);
        builder.AddSowerServerInfrastructure(options);
        builder.AddSowerLiveSessions();
        builder.AddSowerGateway(gateway);
        builder.AddSowerApi();
        builder.AddSowerConsole();
        builder.AddSowerMetrics();
        builder.AddSowerReadiness();

        var settings = new ServerEntitySettings
        {
            StaleAfter = Duration.FromSeconds(options.StaleAfterSeconds),
            StaleCheckInterval = TimeSpan.FromSeconds(options.StaleCheckIntervalSeconds),
            ApprovalExpiry = Duration.FromSeconds(options.ApprovalExpirySeconds),
            EnrollmentExpiry = Duration.FromSeconds(options.EnrollmentExpirySeconds),
        };
        settings = entities?.Invoke(settings) ?? settings;
        var readModel = new ReadModelStore();
        builder.Services.AddSingleton(readModel);
        builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, sp) => akka
            .WithSowerServerInfrastructure(options, ServerEntitiesHostingExtensions.AddSowerEventTagger)
            .WithSowerServerEntities(settings, sp.GetRequiredService<IClock>(), readModel)
            .WithRebootLocks(sp.GetRequiredService<IClock>(), options.RebootLock)
            .WithSowerInspection()
            .WithSowerWebhooks(WebhookEndpoints.Settings(options), sp.GetRequiredService<IClock>())
            .WithGardenHealthNotifications(readModel, sp.GetRequiredService<IClock>(),
                new GardenHealthSettings(Duration.FromSeconds(options.StaleAfterSeconds), Sower.Server.Ui.Services.ConsoleQueries.RepeatedFailures),
                // At least four looks per stale period, never more often than once a second.
                TimeSpan.FromSeconds(Math.Clamp(options.StaleAfterSeconds / 4, 1, options.StaleCheckIntervalSeconds)))
            .WithStrictSerialization());

        var app = builder.Build();
        app.MapSowerInfrastructure();
        app.MapSowerGateway();
        app.MapSowerApi();
        app.MapSowerCliGateway();
        app.MapSowerConsole();
        app.MapSowerMetrics();
        return app;
    }
}
