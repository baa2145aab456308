using System.Collections.Frozen;
using System.Text.Json;
using Akka.Actor;
using Sower.Actors.Serialization;
using Sower.Messages.Webhooks;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookEvents;
using static Sower.Messages.Webhooks.WebhookQueries;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Actors.Webhooks;

/// <summary>System.Text.Json serializer for every <see cref="IWebhookMessage"/>: the outbox's events and snapshot, and
/// the protocol that crosses cluster nodes. Manifests are stable: NEVER change one; add a "-v2" and keep reading "-v1".</summary>
public sealed class WebhookSerializer(ExtendedActorSystem system)
    : ManifestJsonSerializer(system, Manifests, SowerJson.Options, GetWebhooks.Instance, GetWebhookOutboxStatus.Instance)
{
    public const int SerializerId = 210;
    public const string Name = "sower-webhooks";

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(WebhookAdded)] = "whk-added-v1",
        [typeof(WebhookRemoved)] = "whk-removed-v1",
        [typeof(NotificationEnqueued)] = "whk-enqueued-v1",
        [typeof(DeliveryAttemptFailed)] = "whk-attempt-failed-v1",
        [typeof(NotificationDelivered)] = "whk-delivered-v1",
        [typeof(DeliveryGaveUp)] = "whk-gave-up-v1",
        [typeof(WebhookOutboxSnapshot)] = "whk-outbox-snapshot-v1",
        [typeof(NotificationRaised)] = "whk-raised-v1",
        [typeof(AddWebhook)] = "whk-add-v1",
        [typeof(RemoveWebhook)] = "whk-remove-v1",
        [typeof(TestWebhook)] = "whk-test-v1",
        [typeof(GetWebhooks)] = "whk-get-all-v1",
        [typeof(GetWebhookOutboxStatus)] = "whk-get-outbox-v1",
        [typeof(WebhookSaved)] = "whk-saved-v1",
        [typeof(WebhookRemovalConfirmed)] = "whk-removal-confirmed-v1",
        [typeof(WebhookTestQueued)] = "whk-test-queued-v1",
        [typeof(WebhookList)] = "whk-list-v1",
        [typeof(WebhookOutboxStatus)] = "whk-outbox-status-v1",
        [typeof(WebhookError)] = "whk-error-v1",
    }.ToFrozenDictionary();

    /// <summary>Every type this serializer handles (for round-trip tests).</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => Manifests.Keys;

    /// <summary>The settings of everything persisted (instants as ISO-8601, enums by name, actors).</summary>
    public static JsonSerializerOptions Json => SowerJson.Options;

    public override int Identifier => SerializerId;
}
