using System.Text.Json;
using Akka.Configuration;
using NodaTime;
using Sower.Actors.Webhooks;
using Sower.Messages.Webhooks;
using Xunit.Abstractions;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookEvents;
using static Sower.Messages.Webhooks.WebhookQueries;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Actors.Tests.Webhooks;

public sealed class WebhookSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config SerializerConfig = ConfigurationFactory.ParseString($$"""
        akka.actor.serializers.sower-webhooks = "{{typeof(WebhookSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IWebhookMessage).AssemblyQualifiedName}}" = sower-webhooks }
        akka.actor.serialization-identifiers { "{{typeof(WebhookSerializer).AssemblyQualifiedName}}" = 210 }
        """);

    public WebhookSerializerTests(ITestOutputHelper output) : base(SerializerConfig, output: output) { }

    private const string Sid = "whk_abcdefghijklmnopqrstuvwx";
    private static readonly Instant At = Instant.FromUtc(2026, 12, 5, 12, 0);
    private static readonly Sower.Messages.Domain.Actor Ops = Sower.Messages.Domain.Actor.Token(new Sower.Messages.Domain.TokenId("abcdefghijklmnopqrstuvwx"), "ops");
    private static readonly Notification N = Notification.Of("deployment.failed:dep_a", NotificationKinds.DeploymentFailed, At, "failed", ("deployment", "dep_a"), ("garden", "grd_b"));
    private static readonly Webhook Hook = new(Sid, "https://hooks.example.org/x", "0123456789abcdef0123", [NotificationKinds.DeploymentFailed], WebhookFormat.Slack, At);
    private static readonly OutboxEntry Entry = new(Sid + "/" + N.Key, Sid, N, At, 2, At + Duration.FromMinutes(1), "HTTP 500", null);

    public static TheoryData<IWebhookMessage> Messages() =>
    [
        new WebhookAdded(Hook, Ops),
        new WebhookRemoved(Sid, null),
        new NotificationEnqueued(Entry.DeliveryId, Sid, N, At),
        new DeliveryAttemptFailed(Entry.DeliveryId, 1, "HTTP 500", At, At + Duration.FromSeconds(30)),
        new NotificationDelivered(Entry.DeliveryId, 2, At),
        new DeliveryGaveUp(Entry.DeliveryId, "gave up", At),
        new WebhookOutboxSnapshot([Hook], [Entry], [Entry with { GaveUpAt = At }], ["a/b"]),
        new NotificationRaised(N),
        new AddWebhook(Hook.Url, Hook.Secret, Hook.Events, WebhookFormat.Json, Ops),
        new RemoveWebhook(Sid, Ops),
        new TestWebhook(Sid),
        GetWebhooks.Instance,
        GetWebhookOutboxStatus.Instance,
        new WebhookSaved(Hook.ToView()),
        new WebhookRemovalConfirmed(Sid),
        new WebhookTestQueued(Sid, "webhook.test:x"),
        new WebhookList([Hook.ToView()]),
        new WebhookOutboxStatus(1, [Entry], 0, []),
        new WebhookError(WebhookErrorCodes.Invalid, ["url: bad"]),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_webhook_message_round_trips_through_its_serializer(IWebhookMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<WebhookSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType(), WebhookSerializer.Json),
                     JsonSerializer.Serialize(back, back.GetType(), WebhookSerializer.Json));
    }

    [Fact]
    public void Every_supported_type_has_a_round_trip_case_and_the_manifests_are_pinned()
    {
        var covered = ((IEnumerable<object[]>)Messages()).Select(row => row[0].GetType()).ToHashSet();
        Assert.Empty(WebhookSerializer.SupportedTypes.Where(t => !covered.Contains(t)).Select(t => t.Name));
        // Persisted manifests never change: stored outboxes must keep loading.
        var serializer = new WebhookSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        Assert.Equal(
            ["whk-added-v1", "whk-attempt-failed-v1", "whk-delivered-v1", "whk-enqueued-v1", "whk-gave-up-v1", "whk-outbox-snapshot-v1", "whk-removed-v1"],
            new object[]
            {
                new WebhookAdded(Hook, null), new DeliveryAttemptFailed("a", 1, "e", At, At), new NotificationDelivered("a", 1, At),
                new NotificationEnqueued("a", Sid, N, At), new DeliveryGaveUp("a", "r", At), new WebhookOutboxSnapshot([], [], [], []), new WebhookRemoved(Sid, null),
            }.Select(serializer.Manifest).Order(StringComparer.Ordinal));
        Assert.Equal(210, serializer.Identifier);
    }
}
