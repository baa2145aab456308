using Akka.Actor;
using Sower.Messages.Webhooks;

namespace Sower.Actors.Webhooks;

/// <summary>One per node: forwards every <see cref="NotificationRaised"/> published on this node's EventStream to the
/// outbox singleton, so a producer anywhere needs nothing but <c>Context.System.EventStream.Publish</c>.</summary>
public sealed class NotificationRelayActor : ReceiveActor
{
    public const string Name = "notification-relay";

    public NotificationRelayActor(IActorRef outbox)
    {
        Receive<NotificationRaised>(r => outbox.Tell(r));
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(NotificationRaised));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
