using Akka.Actor;
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
public sealed class SubscriptionActor : ServerEntityActor<SubscriptionEntityState, ISubscriptionEvent>
{
    private readonly IClock _clock;

    public SubscriptionActor(string entityId, IClock clock, ServerEntitySettings settings)
        : base("subscription", entityId, SubscriptionEntityState.Empty, (s, e) => s.Apply(e), settings)
    {
        _clock = clock;

        Command<SubscriptionCommands.UpsertSubscription>(Handle);
        Command<SubscriptionCommands.RemoveSubscription>(Handle);
        Command<GetSubscription>(_ => Sender.Tell(new SubscriptionFound(State.Record)));
        Command<ReceiveTimeout>(_ => Passivate());
        HandleSnapshotReplies();
    }

    private void Handle(object command)
    {
        var e = State.Decide(command, _clock.GetCurrentInstant());
        if (e is null)
        {
            Sender.Tell(CommandAccepted.Instance);
            return;
        }
        var sender = Sender;
        Persist(e, evt =>
        {
            Applied(evt);
            sender.Tell(CommandAccepted.Instance);
        });
    }
}
