using System.Collections.Immutable;
using NodaTime;

namespace Sower.Messages.GardenDaemon;

/// <summary>A subscription's last finished deployment, as the garden saw it.</summary>
public sealed record LastDeployment(string Result, Instant At);

/// <summary>
/// What the garden's metrics textfile says (issue 19.1). <see cref="Activations"/>, <see cref="Deployments"/>,
/// <see cref="Rollbacks"/>, <see cref="LastDeployments"/> and <see cref="LastContact"/> are persisted (they must survive a
/// restart: counters that fall back to zero read as resets); the rest is the live state of this process.
/// </summary>
public sealed record GardenMetrics(
    string Version,
    bool Connected,
    Instant? LastContact,
    bool Inhibited,
    bool WaitingForRebootLock,
    ImmutableSortedDictionary<string, long> Activations,
    ImmutableSortedDictionary<string, long> Deployments,
    long Rollbacks,
    ImmutableSortedDictionary<string, LastDeployment> LastDeployments)
{
    /// <summary>The result of a deployment the activator rolled back (DeploymentWire).</summary>
    public const string RolledBack = "rolled_back";

    public static GardenMetrics Initial(string version) => new(
        version, false, null, false, false,
        ImmutableSortedDictionary.Create<string, long>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, long>(StringComparer.Ordinal),
        0,
        ImmutableSortedDictionary.Create<string, LastDeployment>(StringComparer.Ordinal));

    /// <summary>Connected or not; while connected the server is in contact now.</summary>
    public GardenMetrics WithConnection(bool connected, Instant now) =>
        this with { Connected = connected, LastContact = connected || Connected ? now : LastContact };

    /// <summary>Called on every refresh: a live connection is a contact at this moment.</summary>
    public GardenMetrics Touch(Instant now) => Connected ? this with { LastContact = now } : this;

    /// <summary>
    /// A deployment finished: counts it by result, each seed whose activation ran by the seed's result (a rolled-back
    /// deployment's armed seeds count as rolled_back), and sets each named subscription's last result and time.
    /// </summary>
    public GardenMetrics WithDeploymentFinished(string result, Instant at, IEnumerable<FinishedSeed> seeds)
    {
        var activations = Activations;
        var last = LastDeployments;
        foreach (var seed in seeds)
        {
            if (seed.Activated) activations = activations.SetItem(seed.Result, activations.GetValueOrDefault(seed.Result) + 1);
            last = last.SetItem(seed.Subscription, new LastDeployment(seed.Result, at));
        }
        return this with
        {
            Activations = activations,
            Deployments = Deployments.SetItem(result, Deployments.GetValueOrDefault(result) + 1),
            Rollbacks = Rollbacks + (result == RolledBack ? 1 : 0),
            LastDeployments = last,
        };
    }

    /// <summary>Forget subscriptions no longer configured or synced (their series disappear instead of going stale forever).</summary>
    public GardenMetrics KeepSubscriptions(IReadOnlySet<string> names)
    {
        var gone = LastDeployments.Keys.Where(k => !names.Contains(k)).ToList();
        return gone.Count == 0 ? this : this with { LastDeployments = LastDeployments.RemoveRange(gone) };
    }

    /// <summary>The persisted part, restored after a restart into a fresh live state.</summary>
    public GardenMetrics RestoredFrom(GardenMetrics saved) => this with
    {
        LastContact = saved.LastContact,
        Activations = saved.Activations,
        Deployments = saved.Deployments,
        Rollbacks = saved.Rollbacks,
        LastDeployments = saved.LastDeployments,
    };
}

/// <summary>One seed of a finished deployment: its subscription's name, its result, and whether an activation ran (not stage-only or skipped).</summary>
public sealed record FinishedSeed(string Subscription, string Result, bool Activated);
