using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages;
using Sower.Messages.Subscriptions;
using static Sower.Messages.Subscriptions.SubscriptionEvents;
using static Sower.Messages.Subscriptions.SubscriptionQueries;

namespace Sower.Actors.Server;

/// <summary>
/// One subscription (sharded, persistent, id = subscription sid): the garden's synced rules, schedule, zone and policy.
/// The owning GardenActor writes it after every sync and runs the creation algorithm; this entity is the consistent
/// answer to "which garden owns this sid, with which policy" for the gateway and the API. A sid can never move to
/// another garden: an upsert from a different garden is ignored.
/// </summary>
public sealed class SubscriptionActor : ReceivePersistentActor
{
    private readonly IClock _clock;
    private readonly ServerEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private SubscriptionEntityState _state = SubscriptionEntityState.Empty;

    public SubscriptionActor(string entityId, IClock clock, ServerEntitySettings settings)
    {
        PersistenceId = "subscription-" + entityId;
        _clock = clock;
        _settings = settings;

        Recover<SnapshotOffer>(offer => { if (offer.Snapshot is SubscriptionEntityState s) _state = s; });
        Recover<ISubscriptionEvent>(e => _state = _state.Apply(e));

        Command<SubscriptionCommands.UpsertSubscription>(Handle);
        Command<SubscriptionCommands.RemoveSubscription>(Handle);
        Command<GetSubscription>(_ => Sender.Tell(new SubscriptionFound(_state.Record)));
        Command<ReceiveTimeout>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("snapshot of {PersistenceId} failed: {Reason}", PersistenceId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    protected override void PreStart()
    {
        Context.SetReceiveTimeout(_settings.PassivateAfter);
        base.PreStart();
    }

    private void Handle(object command)
    {
        var e = _state.Decide(command, _clock.GetCurrentInstant());
        if (e is null)
        {
            Sender.Tell(CommandAccepted.Instance);
            return;
        }
        var sender = Sender;
        Persist(e, evt =>
        {
            _state = _state.Apply(evt);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_state);
            sender.Tell(CommandAccepted.Instance);
        });
    }
}
