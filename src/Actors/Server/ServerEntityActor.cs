using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Sower.Actors.Metrics;

namespace Sower.Actors.Server;

/// <summary>
/// The skeleton the persistent server entities share (seed, seed line, deployment, garden, subscription), written once:
/// the persistence id (<c>kind-entityId</c>); recovery from the latest snapshot and the events through the state's pure
/// <c>Apply</c>; <see cref="Applied"/> for every persisted event (apply, snapshot every <c>SnapshotEvery</c>); older snapshots
/// deleted once a new one is saved; passivation offered after <c>PassivateAfter</c> idle (each entity decides on its
/// <see cref="ReceiveTimeout"/> whether it may go). The entity itself decides (a pure function in src/Messages), persists and
/// replies after persisting.
/// </summary>
/// <typeparam name="TState">The entity's state record (also its snapshot).</typeparam>
/// <typeparam name="TEvent">The entity's event interface.</typeparam>
public abstract class ServerEntityActor<TState, TEvent> : ReceivePersistentActor
    where TState : class
    where TEvent : class
{
    private readonly Func<TState, TEvent, TState> _apply;
    private readonly ServerEntitySettings _settings;
    private readonly string? _recoveryMetric;
    private readonly long _starting = ServerInstruments.Timestamp();
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="kind">The persistence id's prefix.</param>
    /// <param name="recoveryMetric">The entity label of the recovery-time metric; null: not measured.</param>
    protected ServerEntityActor(string kind, string entityId, TState empty, Func<TState, TEvent, TState> apply,
        ServerEntitySettings settings, string? recoveryMetric = null)
    {
        PersistenceId = kind + "-" + entityId;
        State = empty;
        _apply = apply;
        _settings = settings;
        _recoveryMetric = recoveryMetric;

        Recover<SnapshotOffer>(offer => { if (offer.Snapshot is TState s) State = s; });
        Recover<TEvent>(e => State = _apply(State, e));
    }

    public sealed override string PersistenceId { get; }

    /// <summary>The entity's state: what recovery and <see cref="Applied"/> made of its events (plus what an entity keeps in memory only).</summary>
    protected TState State { get; set; }

    /// <summary>Applies an event that was persisted, and snapshots the state every <c>SnapshotEvery</c> events.</summary>
    protected void Applied(TEvent e)
    {
        State = _apply(State, e);
        if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(State);
    }

    /// <summary>Asks the shard to stop this entity (it restarts on its next message).</summary>
    protected void Passivate() => Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));

    /// <summary>Registers, in the current behaviour, the answers to the snapshot store: a saved snapshot makes the older
    /// ones obsolete; a failed one is logged (the events are still there).</summary>
    protected void HandleSnapshotReplies()
    {
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("snapshot of {PersistenceId} failed: {Reason}", PersistenceId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    protected override void PreStart()
    {
        Context.SetReceiveTimeout(_settings.PassivateAfter);
        base.PreStart();
    }

    protected override void OnReplaySuccess()
    {
        if (_recoveryMetric is not null) ServerInstruments.Recovered(_recoveryMetric, _starting);
        base.OnReplaySuccess();
    }
}
