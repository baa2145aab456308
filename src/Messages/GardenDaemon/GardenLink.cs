using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>Why a connect attempt left the link waiting on an admin rather than on the network.</summary>
public enum LinkWait
{
    None,

    /// <summary>The host is enrolled already and this garden has no credential: an enrollment was parked for approval.</summary>
    Parked,

    /// <summary>The parked enrollment is still waiting for approval.</summary>
    StillPending,

    /// <summary>The garden was deleted on the server.</summary>
    Deleted,

    /// <summary>An admin rejected the enrollment: wait for a restart or a reload.</summary>
    Rejected,
}

/// <summary>What a connect attempt's outcome means for the link.</summary>
public enum ConnectVerdict
{
    /// <summary>The outcome of an attempt a newer one replaced: close its connection, if any, and change nothing.</summary>
    Stale,

    /// <summary>The server closed the new connection before its outcome arrived (the close overtook it): drop it, connect again after a backoff.</summary>
    DroppedWhileOpening,

    /// <summary>An admin must act first (approve, restore, or the operator reloads after a rejection).</summary>
    WaitForAdmin,

    /// <summary>The credential was refused: enrol again at once (only on the first attempt, never a hot loop).</summary>
    RetryNow,

    /// <summary>The attempt failed: try again after a backoff.</summary>
    Backoff,

    /// <summary>The garden is shutting down: close the connection it no longer needs.</summary>
    DisposeDraining,

    /// <summary>A session: keep it.</summary>
    Connected,
}

/// <summary>
/// The garden's server link between its connection states (REFERENCE §5.4): which attempt is current, how many failed in a row
/// (backoff 0.2 s → 60 s with full jitter), how many enrollment polls waited on an admin, whether the current attempt's
/// connection closed before its outcome arrived, and whether the garden drains (never connects again). Pure: the link actor
/// holds the connection phase as its behaviour and asks this record what an outcome means.
/// </summary>
public sealed record GardenLink(int Generation, int Attempt, int PendingPolls, bool ClosedWhileConnecting, bool Draining)
{
    public static readonly GardenLink Initial = new(0, 0, 0, false, false);

    /// <summary>Backoff before attempt <paramref name="attempt"/> (0-based): full jitter under a cap doubling from 0.2 s to 60 s.</summary>
    public static TimeSpan Backoff(int attempt, double random)
    {
        var cap = Math.Min(60.0, 0.2 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromSeconds(Math.Max(0.2, cap * random));
    }

    /// <summary>A new attempt: every message of an older attempt is stale from now on.</summary>
    public GardenLink ConnectStarted() => this with { Generation = Generation + 1, ClosedWhileConnecting = false };

    public bool IsCurrent(int generation) => generation == Generation;

    /// <summary>The current attempt's connection closed while it was still opening; its outcome, when it arrives, is dropped.</summary>
    public GardenLink ClosedBeforeOutcome(int generation) => IsCurrent(generation) ? this with { ClosedWhileConnecting = true } : this;

    public GardenLink Drained() => this with { Draining = true };

    /// <summary>What the outcome of attempt <paramref name="generation"/> means.</summary>
    public ConnectVerdict Decide(int generation, bool opened, LinkWait wait, bool credentialRefused)
    {
        if (!IsCurrent(generation)) return ConnectVerdict.Stale;
        if (opened && ClosedWhileConnecting) return ConnectVerdict.DroppedWhileOpening;
        if (!opened && wait != LinkWait.None) return ConnectVerdict.WaitForAdmin;
        if (!opened) return credentialRefused && Attempt == 0 ? ConnectVerdict.RetryNow : ConnectVerdict.Backoff;
        return Draining ? ConnectVerdict.DisposeDraining : ConnectVerdict.Connected;
    }

    /// <summary>The state after <paramref name="verdict"/>: a session or a plain failure ends an enrollment wait; a session resets the backoff.</summary>
    public GardenLink Apply(ConnectVerdict verdict) => verdict switch
    {
        ConnectVerdict.RetryNow => this with { PendingPolls = 0, Attempt = Attempt + 1 },
        ConnectVerdict.Backoff or ConnectVerdict.DisposeDraining => this with { PendingPolls = 0 },
        ConnectVerdict.Connected => this with { PendingPolls = 0, Attempt = 0 },
        _ => this,
    };

    /// <summary>The next backoff (consumes one attempt); <paramref name="random"/> in [0, 1).</summary>
    public (GardenLink State, TimeSpan Delay) BackedOff(double random) => (this with { Attempt = Attempt + 1 }, Backoff(Attempt, random));

    /// <summary>
    /// One more poll of a parked enrollment: the delay doubles from 2 s up to <paramref name="cap"/>; the full explanation is logged
    /// when the enrollment is first parked and every 20th poll after (Loud), a short line otherwise.
    /// </summary>
    public (GardenLink State, TimeSpan Delay, bool Loud) EnrollmentPolled(LinkWait wait, TimeSpan cap)
    {
        var delay = TimeSpan.FromSeconds(Math.Min(cap.TotalSeconds, 2 * Math.Pow(2, Math.Min(PendingPolls, 20))));
        var polls = PendingPolls + 1;
        return (this with { PendingPolls = polls }, delay, wait == LinkWait.Parked || polls % 20 == 0);
    }

    /// <summary>
    /// The synced subscriptions from a sync reply's body (a list, or an object holding "subscriptions"): paired with the configured
    /// ones by subscription name, never by seed name and type (pitfall 34). Null when the reply holds no list.
    /// </summary>
    public static ImmutableArray<SyncedSubscription>? Synced(ImmutableArray<SubscriptionSpec> configured, JsonNode? body)
    {
        var list = body switch
        {
            JsonArray a => a,
            JsonObject o when o["subscriptions"] is JsonArray a => a,
            _ => null,
        };
        if (list is null) return null;
        var sidsByName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in list.OfType<JsonObject>())
        {
            if ((string?)item["name"] is { } name && (string?)item["sid"] is { } sid) sidsByName[name] = sid;
        }
        return configured
            .Where(s => sidsByName.ContainsKey(s.Name))
            .Select(s => new SyncedSubscription(sidsByName[s.Name], s))
            .ToImmutableArray();
    }
}
