using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Webhooks;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookEvents;

namespace Sower.Messages.Tests.Webhooks;

/// <summary>The config file's webhooks in the pure outbox: in memory only, owned by the file, reconciled at every start.</summary>
public sealed class ConfiguredWebhookOutboxTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private static readonly WebhookOutboxLimits Limits = WebhookOutboxLimits.Default;
    private static readonly Instant Now = Instant.FromUtc(2026, 12, 5, 12, 0);

    private static Webhook Hook(string sid, string url = "https://chat.example.org/hook") =>
        new(sid, url, Secret, [NotificationKinds.DeploymentFailed], WebhookFormat.Json, Now);

    private static WebhookOutbox Apply(WebhookOutbox outbox, IEnumerable<IWebhookEvent> events) => events.Aggregate(outbox, (o, e) => o.Apply(e, Limits));

    private static Notification Failed(string deployment) =>
        Notification.Of($"deployment.failed:{deployment}", NotificationKinds.DeploymentFailed, Now, "failed", ("deployment", deployment));

    [Fact]
    public void Configured_webhooks_receive_notifications_beside_the_apis_are_listed_with_their_name_and_cannot_be_removed_over_the_api()
    {
        var outbox = Apply(WebhookOutbox.Empty, [new WebhookAdded(Hook("whk_aaaaaaaaaaaaaaaaaaaaaaaa"), null)])
            .WithConfigured([("chat", Hook("whk_cbbbbbbbbbbbbbbbbbbbbbbb"))]);

        var enqueued = outbox.Raise(Failed("dply_a"), Now, Limits).Cast<NotificationEnqueued>().Select(e => e.WebhookSid).Order().ToList();
        Assert.Equal(["whk_aaaaaaaaaaaaaaaaaaaaaaaa", "whk_cbbbbbbbbbbbbbbbbbbbbbbb"], enqueued);
        var listed = outbox.List().ToDictionary(w => w.Sid);
        Assert.Equal("chat", listed["whk_cbbbbbbbbbbbbbbbbbbbbbbb"].ConfigName);
        Assert.Null(listed["whk_aaaaaaaaaaaaaaaaaaaaaaaa"].ConfigName);

        var refused = outbox.Decide(new RemoveWebhook("whk_cbbbbbbbbbbbbbbbbbbbbbbb"));
        Assert.Empty(refused.Events);
        Assert.Equal(WebhookErrorCodes.Configured, refused.Error!.Code);
        Assert.Contains("server config file", Assert.Single(refused.Error.Errors));
        Assert.Contains("\"chat\"", refused.Error.Errors[0]);
        Assert.Null(outbox.Decide(new RemoveWebhook("whk_aaaaaaaaaaaaaaaaaaaaaaaa")).Error);
    }

    [Fact]
    public void The_snapshot_never_holds_a_configured_webhook_or_its_secret()
    {
        var outbox = WebhookOutbox.Empty.WithConfigured([("chat", Hook("whk_cbbbbbbbbbbbbbbbbbbbbbbb"))]);
        outbox = Apply(outbox, outbox.Raise(Failed("dply_a"), Now, Limits));
        var snapshot = outbox.ToSnapshot();
        Assert.Empty(snapshot.Webhooks);
        Assert.Single(snapshot.Pending);
        // Restored and given the same file again: the pending delivery still has its webhook.
        var restored = WebhookOutbox.FromSnapshot(snapshot).WithConfigured([("chat", Hook("whk_cbbbbbbbbbbbbbbbbbbbbbbb"))]);
        Assert.Empty(restored.Orphans());
        Assert.Single(restored.Due(Now, new HashSet<string>()));
    }

    [Fact]
    public void A_webhook_dropped_from_the_file_is_replaced_and_its_pending_deliveries_are_orphans_to_drop()
    {
        var outbox = WebhookOutbox.Empty.WithConfigured([("chat", Hook("whk_cbbbbbbbbbbbbbbbbbbbbbbb")), ("ops", Hook("whk_cccccccccccccccccccccccc"))]);
        outbox = Apply(outbox, outbox.Raise(Failed("dply_a"), Now, Limits));
        Assert.Equal(2, outbox.Pending.Count);

        // Next start: "ops" is gone from the file, "chat" has a new URL.
        var next = outbox.WithConfigured([("chat", Hook("whk_cbbbbbbbbbbbbbbbbbbbbbbb", "https://chat.example.org/new"))]);
        Assert.Equal(["whk_cbbbbbbbbbbbbbbbbbbbbbbb"], next.Webhooks.Keys);
        Assert.Equal("https://chat.example.org/new", next.Webhooks["whk_cbbbbbbbbbbbbbbbbbbbbbbb"].Url);
        var orphan = Assert.Single(next.Orphans());
        Assert.Equal("whk_cccccccccccccccccccccccc", orphan);
        next = next.Apply(new WebhookRemoved(orphan, null), Limits);
        Assert.Empty(next.Orphans());
        Assert.Equal("whk_cbbbbbbbbbbbbbbbbbbbbbbb", Assert.Single(next.Pending.Values).WebhookSid);
    }
}
