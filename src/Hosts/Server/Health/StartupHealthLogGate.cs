namespace Sower.Server.Health;

/// <summary>
/// Until the server has once answered a health probe with Healthy, an unhealthy check is the expected state of a starting
/// node (the readiness probe answers 503 and says why), not a failure to log: the health check service's own
/// warnings and errors are held back until then. Afterwards every unhealthy check is logged as before.
/// </summary>
public sealed class StartupHealthLogGate
{
    /// <summary>The logging category of the health check service's per-check result lines.</summary>
    public const string Category = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    private volatile bool _started;

    public bool Started => _started;

    public void MarkHealthy() => _started = true;

    /// <summary>The filter for <see cref="Category"/>: information always, warnings and errors once the server was healthy.</summary>
    public bool Allows(LogLevel level, LogLevel minimum) => level >= minimum && (level < LogLevel.Warning || _started);
}
