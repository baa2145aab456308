using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using Sower.Actors.Metrics;
using Sower.Messages.Tokens;

namespace Sower.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format (README "Metrics"): the OpenTelemetry SDK reads the server's own
/// meter (<see cref="ServerInstruments"/>, <see cref="ServerGauges"/>) and ASP.NET Core's (HTTP server, Kestrel,
/// SignalR connections). The endpoint needs a token with <see cref="Roles.MetricsRead"/> (or admin), on every listener.
/// </summary>
public static class MetricsHostingExtensions
{
    public const string Path = "/metrics";

    /// <summary>ASP.NET Core's meters: request durations by route template and status, active requests, connections.</summary>
    private static readonly string[] FrameworkMeters =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections"];

    public static WebApplicationBuilder AddSowerMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServerGauges>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter([ServerInstruments.MeterName, .. FrameworkMeters]).AddPrometheusExporter();
            ((IDeferredMeterProviderBuilder)metrics).Configure((sp, b) =>
            {
                // Meters made by another host's factory in the same process (tests run several servers) are not ours.
                var own = sp.GetRequiredService<IMeterFactory>();
                b.AddView(i => i.Meter.Scope is IMeterFactory f && !ReferenceEquals(f, own) ? MetricStreamConfiguration.Drop : null);
            });
        });
        return builder;
    }

    public static WebApplication MapSowerMetrics(this WebApplication app)
    {
        // The gauges register their callbacks when first resolved.
        _ = app.Services.GetRequiredService<ServerGauges>();
        app.MapPrometheusScrapingEndpoint(Path).RequireAuthorization(Roles.MetricsRead);
        return app;
    }
}
