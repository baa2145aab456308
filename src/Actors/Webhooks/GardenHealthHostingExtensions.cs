using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Server.Projections;
using Sower.Messages.Webhooks;

namespace Sower.Actors.Webhooks;

public static class GardenHealthHostingExtensions
{
    /// <summary>Starts this node's <see cref="GardenHealthActor"/> (garden.stale and garden.failing notifications) over
    /// <paramref name="readModel"/>; needs <see cref="WebhookHostingExtensions.WithSowerWebhooks"/> for delivery.</summary>
    public static AkkaConfigurationBuilder WithGardenHealthNotifications(this AkkaConfigurationBuilder builder, ReadModelStore readModel, IClock clock,
        GardenHealthSettings settings, TimeSpan checkInterval) =>
        builder.WithActors((system, _) =>
            system.ActorOf(Props.Create(() => new GardenHealthActor(() => GardenHealthActor.Samples(readModel.Current), clock, settings, checkInterval)), GardenHealthActor.Name));
}
