using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// A garden deployment's bookkeeping while it runs, beside what it journals (<see cref="GardenDeploymentState"/>): the seeds
/// admitted and waiting for a slot, the seeds running, the interrupted activations being read back from their profiles, what
/// each seed executed, the reboot it will ask for and its live switch. Not journaled: a restarted garden rebuilds it from the
/// journal and the push. Pure; the deployment actor keeps one and replaces it.
/// </summary>
public sealed record GardenDeploymentRun(
    ImmutableQueue<GardenDeploymentRun.Admitted> Waiting,
    ImmutableHashSet<string> Running,
    ImmutableDictionary<string, GardenDeploymentRun.ReadingBack> Reconciling,
    ImmutableDictionary<string, PolicyAction> Executed,
    string? RebootReason,
    GardenDeploymentRun.LiveSwitchRequest? LiveSwitch)
{
    /// <summary>A seed this garden may run, and how far (<see cref="SeedAdmission"/>).</summary>
    public sealed record Admitted(GardenSeedDeployment Item, PolicyAction Allowed);

    /// <summary>An activation a restart interrupted, whose outcome is read back from its profile (<see cref="InterruptedActivation"/>).</summary>
    public sealed record ReadingBack(GardenSeedDeployment Item, PolicyAction Action, string User, int Looks);

    /// <summary>The live switch asked of the activator after a boot-mode install; <see cref="RequestId"/> is
    /// <see cref="Interrupted"/> when a restart interrupted it and the running system is watched instead.</summary>
    public sealed record LiveSwitchRequest(string RequestId, string SeedSid);

    public const string Interrupted = "interrupted";

    public static readonly GardenDeploymentRun Empty = new(
        ImmutableQueue<Admitted>.Empty, ImmutableHashSet<string>.Empty, ImmutableDictionary<string, ReadingBack>.Empty,
        ImmutableDictionary<string, PolicyAction>.Empty, null, null);

    /// <summary>No seed waits, runs or is being read back: the deployment's outcome can be decided.</summary>
    public bool AllSeedsDone => Waiting.IsEmpty && Running.IsEmpty && Reconciling.IsEmpty;

    public GardenDeploymentRun Admit(GardenSeedDeployment item, PolicyAction allowed) => this with { Waiting = Waiting.Enqueue(new(item, allowed)) };

    public GardenDeploymentRun ReadBack(GardenSeedDeployment item, PolicyAction action, string user) =>
        this with { Reconciling = Reconciling.SetItem(item.Seed.Sid, new(item, action, user, 0)) };

    /// <summary>The waiting seeds that start now, oldest first, so that at most <paramref name="parallelism"/> run at once.</summary>
    public (GardenDeploymentRun Run, IReadOnlyList<Admitted> Start) StartMore(int parallelism)
    {
        var waiting = Waiting;
        var running = Running;
        var start = new List<Admitted>();
        while (running.Count < parallelism && !waiting.IsEmpty)
        {
            waiting = waiting.Dequeue(out var next);
            running = running.Add(next.Item.Seed.Sid);
            start.Add(next);
        }
        return (this with { Waiting = waiting, Running = running }, start);
    }

    /// <summary>A running seed ended; <paramref name="executed"/> is the action it carried out, if any.</summary>
    public GardenDeploymentRun SeedDone(string seedSid, PolicyAction? executed) =>
        this with { Running = Running.Remove(seedSid), Executed = executed is { } a ? Executed.SetItem(seedSid, a) : Executed };

    /// <summary>The profile of an interrupted activation did not tell yet: it is looked at once more.</summary>
    public GardenDeploymentRun LookedAgain(string seedSid) =>
        Reconciling.TryGetValue(seedSid, out var r) ? this with { Reconciling = Reconciling.SetItem(seedSid, r with { Looks = r.Looks + 1 }) } : this;

    /// <summary>An interrupted activation's outcome is known; a success counts as its action executed.</summary>
    public GardenDeploymentRun ReadBackDone(string seedSid, bool succeeded) =>
        Reconciling.TryGetValue(seedSid, out var r)
            ? this with { Reconciling = Reconciling.Remove(seedSid), Executed = succeeded ? Executed.SetItem(seedSid, r.Action) : Executed }
            : this;

    /// <summary>A rollback ended the deployment: nothing more is read back.</summary>
    public GardenDeploymentRun StopReadingBack() => this with { Reconciling = Reconciling.Clear() };

    /// <summary>The first NixOS seed whose executed action was a restart: its boot-mode install decides the reboot or live switch.</summary>
    public GardenSeedDeployment? Restarted(IEnumerable<GardenSeedDeployment> seeds) =>
        seeds.FirstOrDefault(s => s.Seed.SeedType == SeedType.NixOS && Executed.TryGetValue(s.Seed.Sid, out var a) && a == PolicyAction.Restart);
}
