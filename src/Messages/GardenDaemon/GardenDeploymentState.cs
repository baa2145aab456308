using System.Collections.Immutable;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// What a deployment on this garden has journaled (REFERENCE §5.10–§5.12): which activations were started (never repeated after a
/// restart), which seeds finished and how, the live switch, the seeds whose activation armed a rollback deadline, the awaited
/// confirmation and the completion. Pure: the garden's deployment actor persists the events and applies them here.
/// </summary>
public sealed record GardenDeploymentState(
    ImmutableDictionary<string, GardenJournalEvents.ActivationStarted> ActivationsStarted,
    ImmutableDictionary<string, GardenJournalEvents.SeedFinished> Finished,
    GardenJournalEvents.LiveSwitchStarted? LiveSwitch,
    ImmutableHashSet<string> ArmedSeeds,
    GardenJournalEvents.ConfirmationAwaited? ConfirmationAwaited,
    GardenJournalEvents.DeploymentCompleted? Completed)
{
    public static readonly GardenDeploymentState Empty = new(
        ImmutableDictionary<string, GardenJournalEvents.ActivationStarted>.Empty,
        ImmutableDictionary<string, GardenJournalEvents.SeedFinished>.Empty,
        null, ImmutableHashSet<string>.Empty, null, null);

    public GardenDeploymentState Apply(IGardenJournalEvent e) => e switch
    {
        GardenJournalEvents.ActivationStarted a => this with { ActivationsStarted = ActivationsStarted.SetItem(a.SeedSid, a) },
        GardenJournalEvents.SeedFinished f => this with { Finished = Finished.SetItem(f.SeedSid, f) },
        GardenJournalEvents.LiveSwitchStarted l => this with { LiveSwitch = l },
        GardenJournalEvents.RollbackArmed r => this with { ArmedSeeds = ArmedSeeds.Add(r.SeedSid) },
        GardenJournalEvents.ConfirmationAwaited c => this with { ConfirmationAwaited = c },
        GardenJournalEvents.DeploymentCompleted c => this with { Completed = c },
        _ => this,
    };

    /// <summary>The deployment's result from its seeds' results; a seed with no (or no recorded) result counts as failed.</summary>
    public string Result(IEnumerable<string> seedSids) =>
        Aggregate(seedSids.Select(s => Finished.TryGetValue(s, out var f) ? f.Result ?? "failure" : "failure").ToList());

    /// <summary>success if every seed succeeded; skipped if every seed was skipped; failure if none succeeded; partial otherwise.</summary>
    public static string Aggregate(IReadOnlyCollection<string> results)
    {
        if (results.Count == 0 || results.All(r => r == "skipped")) return "skipped";
        if (results.All(r => r == "success")) return "success";
        if (results.All(r => r != "success")) return "failure";
        return "partial";
    }
}

/// <summary>
/// The per-profile activation locks a deployment waits for and holds (one activation per profile at a time): seeds queue for a
/// profile key in the order they asked; a grant goes to the oldest waiter; a seed that ends releases what it held. Pure.
/// </summary>
public sealed record ProfileLocks(ImmutableDictionary<string, ImmutableQueue<string>> Wanted, ImmutableDictionary<string, string> HeldBySeed)
{
    public static readonly ProfileLocks None = new(ImmutableDictionary<string, ImmutableQueue<string>>.Empty, ImmutableDictionary<string, string>.Empty);

    /// <summary><paramref name="seedSid"/> waits for the lock of <paramref name="key"/>, after every seed already waiting for it.</summary>
    public ProfileLocks Want(string key, string seedSid) =>
        this with { Wanted = Wanted.SetItem(key, (Wanted.TryGetValue(key, out var queue) ? queue : ImmutableQueue<string>.Empty).Enqueue(seedSid)) };

    /// <summary>The lock of <paramref name="key"/> was granted: the oldest seed waiting for it, if any (the caller gives it on, or releases the lock).</summary>
    public (ProfileLocks State, string? SeedSid) Granted(string key)
    {
        if (!Wanted.TryGetValue(key, out var queue) || queue.IsEmpty) return (this, null);
        var rest = queue.Dequeue(out var seedSid);
        return (this with { Wanted = Wanted.SetItem(key, rest) }, seedSid);
    }

    /// <summary>Every lock the deployment holds is let go (a rollback ended it): their keys, for the caller to release.</summary>
    public (ProfileLocks State, IReadOnlyList<string> Keys) ReleaseAll() => (this with { HeldBySeed = HeldBySeed.Clear() }, HeldBySeed.Values.ToList());

    public ProfileLocks Hold(string seedSid, string key) => this with { HeldBySeed = HeldBySeed.SetItem(seedSid, key) };

    /// <summary>The seed ended: the key of the lock it held, for the caller to release.</summary>
    public (ProfileLocks State, string? Key) Release(string seedSid) =>
        HeldBySeed.TryGetValue(seedSid, out var key) ? (this with { HeldBySeed = HeldBySeed.Remove(seedSid) }, key) : (this, null);
}
