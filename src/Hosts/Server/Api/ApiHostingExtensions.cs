using Microsoft.AspNetCore.OpenApi;

namespace Sower.Server.Api;

public static class ApiHostingExtensions
{
    public const string OpenApiPath = "/api/openapi.json";

    /// <summary>The OpenAPI document, generated from the endpoints, carrying the release version.</summary>
    public static WebApplicationBuilder AddSowerApi(this WebApplicationBuilder builder)
    {
        var version = typeof(ApiHostingExtensions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Sower server API";
            document.Info.Version = version;
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication MapSowerApi(this WebApplication app)
    {
        // An entity that does not answer in time is an outage, not a server bug: a clean 503 saying the work may have been done
        // and that a retry is safe.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (e is Akka.Actor.AskTimeoutException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested
                                      && !context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new ErrorWire("unavailable", null, ApiWire.UnavailableMessage), ApiWire.Json);
            }
        });
        app.MapOpenApi(OpenApiPath).AllowAnonymous();
        app.MapSeedEndpoints();
        app.MapGardenEndpoints();
        app.MapGardenLabelEndpoints();
        app.MapRolloutEndpoints();
        app.MapDeploymentEndpoints();
        app.MapSelectorDeployEndpoints();
        app.MapNixCacheEndpoints();
        app.MapWebhookEndpoints();
        app.MapRebootLockEndpoints();
        return app;
    }
}
