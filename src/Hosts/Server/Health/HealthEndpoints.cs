using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sower.Actors.Hosting;

namespace Sower.Server.Health;

/// <summary><c>/healthz/live</c>: the actor system is alive. <c>/healthz/ready</c>: the journal and snapshot store
/// are reachable, this node is an Up cluster member and start-up work is done; 503 otherwise. Both anonymous,
/// with a small JSON body <c>{"status":"Healthy","checks":[{"name","status","description"}]}</c>.</summary>
public static class HealthEndpoints
{
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";

    public static IEndpointRouteBuilder MapSowerHealthChecks(this IEndpointRouteBuilder app)
    {
        var statusCodes = new Dictionary<HealthStatus, int>
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        };
        app.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ClusterHostingExtensions.LiveTag),
            ResponseWriter = WriteJson,
            ResultStatusCodes = statusCodes,
        }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ClusterHostingExtensions.ReadyTag) || r.Tags.Contains(PersistenceHostingExtensions.HealthTag),
            ResponseWriter = WriteJson,
            ResultStatusCodes = statusCodes,
        }).AllowAnonymous();
        return app;
    }

    private static Task WriteJson(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        if (report.Status == HealthStatus.Healthy) http.RequestServices.GetService<StartupHealthLogGate>()?.MarkHealthy();
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(http.Response.Body, body, cancellationToken: http.RequestAborted);
    }
}
