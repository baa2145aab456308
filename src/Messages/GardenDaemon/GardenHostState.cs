using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// What the garden's root actor knows between messages: the connection, the status line, the running deployments, a reload
/// waiting for them to end, draining, whether the package was replaced, and each subscription's current and pending seed (for
/// `sower-garden status`). Pure: the host actor applies what it hears and asks what to do.
/// </summary>
public sealed record GardenHostState(
    bool Connected,
    string StatusLine,
    ImmutableArray<string> ActiveDeployments,
    bool ReloadPending,
    bool Draining,
    bool Replaced,
    ImmutableDictionary<string, string> CurrentSeed,
    ImmutableDictionary<string, string> PendingSeed)
{
    public static readonly GardenHostState Initial = new(false, "starting", [], false, false, false,
        ImmutableDictionary.Create<string, string>(StringComparer.Ordinal), ImmutableDictionary.Create<string, string>(StringComparer.Ordinal));

    public bool Idle => ActiveDeployments.IsEmpty;

    public GardenHostState ConnectionChanged(bool connected) => this with { Connected = connected };

    public GardenHostState StatusChanged(string text) => this with { StatusLine = text };

    public GardenHostState SeedPending(string subscriptionSid, string seedSid) => this with { PendingSeed = PendingSeed.SetItem(subscriptionSid, seedSid) };

    public GardenHostState SeedApplied(string subscriptionSid, string seedSid) =>
        this with { CurrentSeed = CurrentSeed.SetItem(subscriptionSid, seedSid), PendingSeed = PendingSeed.Remove(subscriptionSid) };

    /// <summary>A reload was asked for: it runs at once when idle, else after the last running deployment (never dropped).</summary>
    public GardenHostState ReloadRequested() => this with { ReloadPending = true };

    public GardenHostState ReloadRan() => this with { ReloadPending = false };

    public GardenHostState Drained() => this with { Draining = true };

    public GardenHostState PackageReplaced() => this with { Replaced = true };

    /// <summary>
    /// The deployer's running deployments changed. Status: the connection's state to publish when the last deployment ended.
    /// IdleWork: nothing runs and the garden is not draining, so a replaced package or a pending reload may act now.
    /// </summary>
    public (GardenHostState State, string? Status, bool IdleWork) DeployerActivity(ImmutableArray<string> active)
    {
        var status = active.IsEmpty && !ActiveDeployments.IsEmpty ? (Connected ? "connected" : "disconnected") : null;
        return (this with { ActiveDeployments = active }, status, active.IsEmpty && !Draining);
    }

    /// <summary>
    /// Which synced subscription `sower-garden deploy` means: the one of that sid, else the one of that seed type (exactly one);
    /// or why it is refused (an <see cref="AdminProtocol"/> text). A garden that is not connected refuses a known target.
    /// </summary>
    public static (SyncedSubscription? Target, string? Refusal) AdminDeployTarget(string? sid, SeedType? seedType, ImmutableArray<SyncedSubscription>? stored,
        bool connected)
    {
        if (sid is null && seedType is null) return (null, AdminProtocol.DeployNeedsTarget);
        if (stored is null) return (null, AdminProtocol.NotSynced);
        SyncedSubscription? target;
        if (sid is not null)
        {
            target = stored.Value.FirstOrDefault(s => s.Sid == sid);
            if (target is null) return (null, AdminProtocol.SubscriptionNotFoundForSid(sid));
        }
        else
        {
            var matches = stored.Value.Where(s => s.Spec.SeedType == seedType).ToList();
            if (matches.Count == 0) return (null, AdminProtocol.SubscriptionNotFound);
            if (matches.Count > 1) return (null, AdminProtocol.MultipleMatched);
            target = matches[0];
        }
        return connected ? (target, null) : (null, AdminProtocol.NotConnected);
    }
}
