using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>Per-step time limits (REFERENCE §5.13); every one is configurable under the <c>timeouts</c> key, in seconds.</summary>
public sealed record GardenTimeouts(
    TimeSpan ActivatorConnect,
    TimeSpan Realise,
    TimeSpan Activation,
    TimeSpan ServerReply,
    TimeSpan AdminReceive,
    TimeSpan? Drain = null,
    TimeSpan? Reconcile = null,
    TimeSpan? JournalRecovery = null,
    TimeSpan? EnrollmentPoll = null)
{
    /// <summary>
    /// The longest wait between two checks of an enrollment that waits for an admin's approval, and between two attempts
    /// of a garden the server refuses as deleted (<c>timeouts.enrollment_poll</c>, default 60 s).
    /// </summary>
    public TimeSpan EffectiveEnrollmentPoll => EnrollmentPoll ?? TimeSpan.FromSeconds(60);

    /// <summary>How long SIGTERM waits for running deployments before the process exits (<c>timeouts.drain</c>, default 60 s).</summary>
    public TimeSpan EffectiveDrain => Drain ?? TimeSpan.FromSeconds(60);

    /// <summary>
    /// After a restart, how long the garden watches the profile of an activation it lost track of before it decides that the
    /// activation did not take effect (<c>timeouts.reconcile</c>, default 120 s): the activator may still be running it.
    /// </summary>
    public TimeSpan EffectiveReconcile => Reconcile ?? TimeSpan.FromSeconds(120);

    /// <summary>
    /// How long replaying the SQLite journal, and each journal call, may take before Akka.Persistence gives up
    /// (<c>timeouts.journal_recovery</c>, default 120 s; Akka's own 30 s was once exceeded on a loaded host).
    /// </summary>
    public TimeSpan EffectiveJournalRecovery => JournalRecovery ?? TimeSpan.FromSeconds(120);

    public static GardenTimeouts Default { get; } = new(
        // server_reply 60 s: longer than the gateway waits for a busy journal (50 s), so the garden hears the server's answer.
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5));
}

/// <summary>
/// Where profiles and the running systems are looked up (REFERENCE §5.7, §5.12). Configurable under <c>profiles</c> so tests
/// can point them at symlink trees in a temp directory.
/// </summary>
public sealed record ProfileRoots(
    string SystemProfile,
    string CurrentSystem,
    string BootedSystem,
    string PerUserProfiles,
    string? HomeOverride,
    string? SowerProfiles = null,
    string? ServicesState = null)
{
    /// <summary>Where the activator keeps the named profiles of gcroot seeds (its <c>profiles_dir</c>; <c>profiles.sower_profiles</c>).</summary>
    public string EffectiveSowerProfiles => SowerProfiles ?? "/nix/var/nix/profiles/sower";

    /// <summary>The activator's services state, whose <c>current</c> names the active unit bundle (its <c>services_state_dir</c>; <c>profiles.services_state</c>).</summary>
    public string EffectiveServicesState => ServicesState ?? "/var/lib/sower-activator/services";

    public static ProfileRoots Default { get; } = new(
        "/nix/var/nix/profiles/system", "/run/current-system", "/run/booted-system", "/nix/var/nix/profiles/per-user", null);
}

/// <summary>A validated, fully resolved garden configuration (REFERENCE §5.1). Subscriptions carry their effective zone.</summary>
public sealed record GardenConfig(
    string ConfigFile,
    string Endpoint,
    string? AccessToken,
    string Name,
    string DefaultName,
    string StateDirectory,
    string AdminSocket,
    string ActivatorSocket,
    string ActivatorCommand,
    ImmutableArray<SubscriptionSpec> Subscriptions,
    ProfileRoots Profiles,
    GardenTimeouts Timeouts,
    int Parallelism,
    string UserName,
    TimeSpan? LogStreamInterval = null,
    InhibitSettings? Inhibit = null,
    ImmutableDictionary<string, int>? ConfirmTimeouts = null,
    int ConfirmTimeoutDefault = GardenConfig.DefaultConfirmTimeoutSeconds)
{
    /// <summary>The magic-rollback confirm timeout when a subscription sets none (REFERENCE §5.16).</summary>
    public const int DefaultConfirmTimeoutSeconds = 120;

    /// <summary>A subscription's <c>confirm_timeout</c> in seconds (0: no rollback deadline), by subscription name.</summary>
    public int ConfirmTimeoutFor(string subscriptionName) =>
        ConfirmTimeouts is not null && ConfirmTimeouts.TryGetValue(subscriptionName, out var seconds) ? seconds : ConfirmTimeoutDefault;

    /// <summary>The inhibit file and command (issue 14.4); defaults when the configuration names none.</summary>
    public InhibitSettings EffectiveInhibit => Inhibit ?? InhibitSettings.Default;

    /// <summary>The garden's own labels (<c>labels</c>, issue 14.1), sent with every subscription sync.</summary>
    public System.Collections.Immutable.ImmutableDictionary<string, string> Labels { get; init; } = Gardens.GardenLabels.None;
    /// <summary>The <c>logging</c> section: the default level and levels per area (read at start; a reload keeps the running ones).</summary>
    public Domain.LoggingLevels Logging { get; init; } = Domain.LoggingLevels.Information;

    /// <summary>Where the garden writes its metrics for node_exporter's textfile collector (<c>metrics_textfile</c>); null: none.</summary>
    public string? MetricsTextfile { get; init; }

    /// <summary>How often collected seed output is streamed to the server while a seed runs (<c>log_stream_seconds</c>, default 2 s).</summary>
    public TimeSpan EffectiveLogStreamInterval => LogStreamInterval ?? TimeSpan.FromSeconds(2);

    /// <summary>The REST base: <c>&lt;endpoint&gt;/api/v1</c> unless the URL already ends in <c>api/v1</c>.</summary>
    public string ApiBase
    {
        get
        {
            var trimmed = Endpoint.TrimEnd('/');
            return trimmed.EndsWith("api/v1", StringComparison.Ordinal) ? trimmed : trimmed + "/api/v1";
        }
    }

    /// <summary>The server's origin (scheme, host and port), used for the garden hub.</summary>
    public string Origin => new Uri(Endpoint).GetLeftPart(UriPartial.Authority);
}

/// <summary>What the loader reads from outside the file; captured once so tests can supply their own.</summary>
public sealed record ConfigEnvironment(
    Func<string, string?> Variable,
    bool IsRoot,
    string? Home,
    string UserName,
    string HostName,
    string HostTimeZone)
{
    public static ConfigEnvironment FromProcess() => new(
        Environment.GetEnvironmentVariable,
        ProcessIdentity.IsRoot,
        ProcessIdentity.Home,
        Environment.GetEnvironmentVariable("USER") ?? Environment.UserName,
        Environment.MachineName,
        HostTimeZoneDetector.Detect());
}
