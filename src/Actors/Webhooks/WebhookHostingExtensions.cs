using Sower.Actors.Hosting;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Pattern;
using NodaTime;
using Sower.Messages.Webhooks;

namespace Sower.Actors.Webhooks;

public static class WebhookHostingExtensions
{
    /// <summary>Registers the webhook serializer, starts <see cref="WebhookOutboxActor"/> as a cluster singleton behind a
    /// backoff supervisor (proxy under <see cref="WebhookOutboxActorKey"/>) and a <see cref="NotificationRelayActor"/>
    /// on this node.</summary>
    public static AkkaConfigurationBuilder WithSowerWebhooks(this AkkaConfigurationBuilder builder, WebhookSettings settings, IClock clock) =>
        builder
            .WithWebhookSerializer()
            .WithSingleton<WebhookOutboxActorKey>(
                WebhookOutboxActor.Id,
                (_, _, _) => BackoffSupervisor.Props(Backoff.OnStop(
                    Props.Create(() => new WebhookOutboxActor(clock, settings)),
                    childName: WebhookOutboxActor.Id,
                    minBackoff: TimeSpan.FromSeconds(1),
                    maxBackoff: TimeSpan.FromSeconds(30),
                    randomFactor: 0.2,
                    maxNrOfRetries: -1)),
                SingletonProxyOptions.Quiet,
                createProxyToo: true)
            .WithActors((system, registry) =>
                system.ActorOf(Props.Create(() => new NotificationRelayActor(registry.Get<WebhookOutboxActorKey>())), NotificationRelayActor.Name));

    /// <summary>Binds every <see cref="IWebhookMessage"/> to <see cref="WebhookSerializer"/>.</summary>
    public static AkkaConfigurationBuilder WithWebhookSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(WebhookSerializer.Name, [typeof(IWebhookMessage)], system => new WebhookSerializer(system));
}
