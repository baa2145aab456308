using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Webhooks;

/// <summary>Marker for every webhook message: all are bound to the webhook serializer.</summary>
public interface IWebhookMessage;

/// <summary>Marker for the persisted events of the webhook outbox.</summary>
public interface IWebhookEvent : IWebhookMessage;

/// <summary>What a receiver can subscribe to. The wire names are the <c>event</c> field of the payload.</summary>
public static class NotificationKinds
{
    public const string DeploymentFailed = "deployment.failed";
    public const string DeploymentRolledBack = "deployment.rolled_back";
    public const string DeploymentAwaitingApproval = "deployment.awaiting_approval";
    public const string RolloutHalted = "rollout.halted";
    public const string GardenStale = "garden.stale";
    public const string GardenFailing = "garden.failing";
    public const string GardenDrifted = "garden.drifted";
    public const string RebootLockHeldTooLong = "reboot_lock.held_too_long";

    /// <summary>Sent only by <c>sower webhook test</c>, only to the webhook tested; nobody subscribes to it.</summary>
    public const string Test = "webhook.test";

    public static readonly ImmutableArray<string> All =
    [
        DeploymentFailed, DeploymentRolledBack, DeploymentAwaitingApproval, RolloutHalted,
        GardenStale, GardenFailing, GardenDrifted, RebootLockHeldTooLong,
    ];
}

/// <summary>How a webhook's body is shaped: the documented JSON (version 1) or Slack's incoming-webhook <c>{"text"}</c>.</summary>
public enum WebhookFormat { Json, Slack }

/// <summary>
/// Something an operator should be told. <c>Key</c> is the idempotency key: deterministic from what happened (e.g.
/// <c>deployment.failed:dep_…</c>), so raising the same thing twice enqueues it once. <c>Subject</c> names what it is
/// about (sids and names, e.g. <c>deployment</c>, <c>garden</c>), flat strings so every kind fits one shape.
/// </summary>
public sealed record Notification(string Key, string Kind, Instant At, string Summary, ImmutableSortedDictionary<string, string> Subject)
{
    public static Notification Of(string key, string kind, Instant at, string summary, params (string Name, string Value)[] subject) =>
        new(key, kind, at, summary, subject.ToImmutableSortedDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal));
}

/// <summary>
/// The one entry point for every producer: publish it on the local <c>EventStream</c> of any node
/// (<c>Context.System.EventStream.Publish(new NotificationRaised(n))</c>); each node's relay forwards it to the outbox.
/// </summary>
public sealed record NotificationRaised(Notification Notification) : IWebhookMessage;

/// <summary>A configured receiver. The secret signs every delivery and never leaves the outbox (see <see cref="WebhookView"/>).</summary>
public sealed record Webhook(string Sid, string Url, string Secret, ImmutableArray<string> Events, WebhookFormat Format, Instant CreatedAt)
{
    public const string Prefix = "whk";

    public WebhookView ToView() => new(Sid, Url, Events, Format, CreatedAt);
}

/// <summary>A webhook as the API shows it: everything but the secret.</summary>
public sealed record WebhookView(string Sid, string Url, ImmutableArray<string> Events, WebhookFormat Format, Instant CreatedAt)
{
    /// <summary>Its name in the server config file (<c>webhooks.hooks</c>); null for a webhook created over the API.</summary>
    public string? ConfigName { get; init; }
}

/// <summary>One notification on its way to one webhook. <c>DeliveryId</c> = webhook sid + "/" + notification key.</summary>
public sealed record OutboxEntry(
    string DeliveryId,
    string WebhookSid,
    Notification Notification,
    Instant EnqueuedAt,
    int Attempts,
    Instant NextAttemptAt,
    string? LastError,
    Instant? GaveUpAt);

/// <summary><c>By</c>: who asked, for the audit trail (recorded on the event).</summary>
public static class WebhookCommands
{
    public sealed record AddWebhook(string Url, string Secret, ImmutableArray<string> Events, WebhookFormat Format, Actor? By = null) : IWebhookMessage;

    public sealed record RemoveWebhook(string Sid, Actor? By = null) : IWebhookMessage;

    /// <summary>Enqueues a <see cref="NotificationKinds.Test"/> notification for this webhook only.</summary>
    public sealed record TestWebhook(string Sid, Actor? By = null) : IWebhookMessage;
}

public static class WebhookQueries
{
    public sealed record GetWebhooks : IWebhookMessage
    {
        public static readonly GetWebhooks Instance = new();
    }

    /// <summary>The outbox depth and its dead entries (for the API, the CLI and, later, metrics).</summary>
    public sealed record GetWebhookOutboxStatus : IWebhookMessage
    {
        public static readonly GetWebhookOutboxStatus Instance = new();
    }
}

public static class WebhookEvents
{
    public sealed record WebhookAdded(Webhook Webhook, Actor? By) : IWebhookEvent;

    public sealed record WebhookRemoved(string Sid, Actor? By) : IWebhookEvent;

    public sealed record NotificationEnqueued(string DeliveryId, string WebhookSid, Notification Notification, Instant At) : IWebhookEvent;

    public sealed record DeliveryAttemptFailed(string DeliveryId, int Attempt, string Error, Instant At, Instant NextAttemptAt) : IWebhookEvent;

    public sealed record NotificationDelivered(string DeliveryId, int Attempt, Instant At) : IWebhookEvent;

    /// <summary>The entry moves to the dead list: attempts exhausted, or the outbox was full when it arrived.</summary>
    public sealed record DeliveryGaveUp(string DeliveryId, string Reason, Instant At) : IWebhookEvent;
}

public static class WebhookErrorCodes
{
    public const string Invalid = "invalid";
    public const string NotFound = "not-found";
    public const string TooMany = "too-many";

    /// <summary>The webhook comes from the server config file, which owns it.</summary>
    public const string Configured = "configured";
}

public static class WebhookReplies
{
    public sealed record WebhookSaved(WebhookView Webhook) : IWebhookMessage;

    public sealed record WebhookRemovalConfirmed(string Sid) : IWebhookMessage;

    public sealed record WebhookTestQueued(string Sid, string Key) : IWebhookMessage;

    public sealed record WebhookList(ImmutableArray<WebhookView> Webhooks) : IWebhookMessage;

    /// <summary><c>Pending</c> is the outbox depth; <c>Dead</c> the bounded list of given-up entries, newest first.</summary>
    public sealed record WebhookOutboxStatus(int Pending, ImmutableArray<OutboxEntry> PendingEntries, int Dead, ImmutableArray<OutboxEntry> DeadEntries)
        : IWebhookMessage;

    public sealed record WebhookError(string Code, ImmutableArray<string> Errors) : IWebhookMessage;
}
