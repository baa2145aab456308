using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Testing;
using Sower.Messages.Webhooks;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookEvents;

namespace Sower.Messages.Tests.Webhooks;

/// <summary>The pure outbox, driven by a fake clock: every transition is an event, applied as the actor would.</summary>
public sealed class WebhookOutboxTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private static readonly WebhookOutboxLimits Limits = WebhookOutboxLimits.Default with
    {
        FirstRetry = Duration.FromSeconds(10),
        MaxRetry = Duration.FromMinutes(5),
        MaxAttempts = 4,
        MaxPending = 4,
        MaxDead = 2,
        RememberedDeliveries = 3,
    };

    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 12, 0));
    private WebhookOutbox _outbox = WebhookOutbox.Empty;

    private ImmutableArray<IWebhookEvent> Run(ImmutableArray<IWebhookEvent> events)
    {
        foreach (var e in events) _outbox = _outbox.Apply(e, Limits);
        return events;
    }

    private string Add(params string[] kinds)
    {
        var sid = "whk_" + new string((char)('a' + _outbox.Webhooks.Count), 24);
        var decision = _outbox.Decide(new AddWebhook("https://hooks.example.org/" + sid, Secret, [.. kinds], WebhookFormat.Json), sid, _clock.GetCurrentInstant(), Limits);
        Assert.Null(decision.Error);
        Run(decision.Events);
        return sid;
    }

    private static Notification Failed(string deployment, Instant at) =>
        Notification.Of($"{NotificationKinds.DeploymentFailed}:{deployment}", NotificationKinds.DeploymentFailed, at, $"deployment {deployment} failed", ("deployment", deployment));

    private ImmutableArray<OutboxEntry> Due() => _outbox.Due(_clock.GetCurrentInstant(), new HashSet<string>());

    [Fact]
    public void A_notification_is_enqueued_once_per_subscribed_webhook_and_raising_it_again_adds_nothing()
    {
        var failures = Add(NotificationKinds.DeploymentFailed);
        var approvals = Add(NotificationKinds.DeploymentAwaitingApproval);
        var both = Add(NotificationKinds.DeploymentFailed, NotificationKinds.DeploymentAwaitingApproval);

        var events = Run(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));

        Assert.Equal([failures, both], events.Cast<NotificationEnqueued>().Select(e => e.WebhookSid).Order());
        Assert.DoesNotContain(_outbox.Pending.Values, e => e.WebhookSid == approvals);
        Assert.Empty(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));

        // Delivered, then raised again (a replayed entity): still not sent twice.
        foreach (var entry in Due()) Run(_outbox.AttemptFinished(entry.DeliveryId, null, _clock.GetCurrentInstant(), Limits));
        Assert.Empty(_outbox.Pending);
        Assert.Empty(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
    }

    [Fact]
    public void Failed_attempts_back_off_exponentially_up_to_the_cap_and_the_last_one_makes_the_entry_dead()
    {
        var hook = Add(NotificationKinds.DeploymentFailed);
        Run(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
        var id = Assert.Single(Due()).DeliveryId;

        var waits = new List<Duration>();
        for (var attempt = 1; attempt < Limits.MaxAttempts; attempt++)
        {
            var failed = Assert.IsType<DeliveryAttemptFailed>(Assert.Single(Run(_outbox.AttemptFinished(id, "HTTP 500", _clock.GetCurrentInstant(), Limits))));
            Assert.Equal(attempt, failed.Attempt);
            waits.Add(failed.NextAttemptAt - _clock.GetCurrentInstant());
            // Not due a moment before the backoff ends; due when it does.
            _clock.Advance(waits[^1] - Duration.FromMilliseconds(1));
            Assert.Empty(Due());
            _clock.Advance(Duration.FromMilliseconds(1));
            Assert.Equal(id, Assert.Single(Due()).DeliveryId);
        }
        Assert.Equal([Duration.FromSeconds(10), Duration.FromSeconds(20), Duration.FromSeconds(40)], waits);
        Assert.Equal(Duration.FromMinutes(5), Limits.Backoff(10));

        var last = Run(_outbox.AttemptFinished(id, "HTTP 500", _clock.GetCurrentInstant(), Limits));
        Assert.IsType<DeliveryGaveUp>(last[^1]);
        Assert.Empty(_outbox.Pending);
        var dead = Assert.Single(_outbox.Dead);
        Assert.Equal(hook, dead.WebhookSid);
        Assert.Equal(Limits.MaxAttempts, dead.Attempts);
        Assert.Contains("gave up after 4 attempts: HTTP 500", dead.LastError);
        Assert.Equal(1, _outbox.Status().Dead);
    }

    [Fact]
    public void At_most_one_delivery_per_webhook_is_due_and_a_webhook_in_flight_holds_back_only_itself()
    {
        var slow = Add(NotificationKinds.DeploymentFailed);
        var fast = Add(NotificationKinds.DeploymentFailed);
        Run(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
        _clock.Advance(Duration.FromSeconds(1));
        Run(_outbox.Raise(Failed("dep_b", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));

        var due = Due();
        Assert.Equal(2, due.Length);
        Assert.All(due, e => Assert.EndsWith("dep_a", e.DeliveryId));

        var whileSlowHangs = _outbox.Due(_clock.GetCurrentInstant(), new HashSet<string> { slow });
        Assert.Equal(fast, Assert.Single(whileSlowHangs).WebhookSid);
        Run(_outbox.AttemptFinished(whileSlowHangs[0].DeliveryId, null, _clock.GetCurrentInstant(), Limits));
        var next = Assert.Single(_outbox.Due(_clock.GetCurrentInstant(), new HashSet<string> { slow }));
        Assert.Equal(WebhookOutbox.DeliveryIdOf(fast, $"{NotificationKinds.DeploymentFailed}:dep_b"), next.DeliveryId);
    }

    [Fact]
    public void A_full_outbox_sends_new_entries_to_the_bounded_dead_list_and_remembered_ids_are_bounded()
    {
        Add(NotificationKinds.DeploymentFailed);
        foreach (var d in new[] { "dep_a", "dep_b", "dep_c", "dep_d" }) Run(_outbox.Raise(Failed(d, _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
        Assert.Equal(4, _outbox.Pending.Count);

        foreach (var d in new[] { "dep_e", "dep_f", "dep_g" })
        {
            var events = Run(_outbox.Raise(Failed(d, _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
            Assert.Contains("outbox full (4 pending)", Assert.IsType<DeliveryGaveUp>(events[^1]).Reason);
        }
        Assert.Equal(4, _outbox.Pending.Count);
        Assert.Equal(2, _outbox.Dead.Count); // MaxDead: the oldest dead entry was dropped
        Assert.Equal(["dep_g", "dep_f"], _outbox.Status().DeadEntries.Select(e => e.Notification.Subject["deployment"]));
        Assert.True(_outbox.Handled.Count <= Limits.RememberedDeliveries);
    }

    [Fact]
    public void Removing_a_webhook_drops_its_pending_deliveries_and_a_late_attempt_result_changes_nothing()
    {
        var hook = Add(NotificationKinds.DeploymentFailed);
        Run(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
        var id = Assert.Single(Due()).DeliveryId;
        Run(_outbox.Decide(new RemoveWebhook(hook)).Events);
        Assert.Empty(_outbox.Pending);
        Assert.Empty(_outbox.AttemptFinished(id, null, _clock.GetCurrentInstant(), Limits));
        Assert.Equal(WebhookErrorCodes.NotFound, _outbox.Decide(new RemoveWebhook(hook)).Error!.Code);
    }

    [Fact]
    public void A_test_notification_goes_only_to_the_webhook_tested_and_every_test_is_sent()
    {
        var tested = Add(NotificationKinds.DeploymentFailed);
        Add(NotificationKinds.DeploymentFailed);
        var first = Run(_outbox.Decide(new TestWebhook(tested), "r1", _clock.GetCurrentInstant(), Limits).Events);
        var second = Run(_outbox.Decide(new TestWebhook(tested), "r2", _clock.GetCurrentInstant(), Limits).Events);
        Assert.All(first.Concat(second), e => Assert.Equal(tested, ((NotificationEnqueued)e).WebhookSid));
        Assert.Equal(2, _outbox.Pending.Count);
        Assert.Equal(WebhookErrorCodes.NotFound, _outbox.Decide(new TestWebhook("whk_zzzzzzzzzzzzzzzzzzzzzzzz"), "r3", _clock.GetCurrentInstant(), Limits).Error!.Code);
    }

    [Fact]
    public void The_snapshot_rebuilds_the_same_outbox()
    {
        Add(NotificationKinds.DeploymentFailed);
        Run(_outbox.Raise(Failed("dep_a", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
        Run(_outbox.Raise(Failed("dep_b", _clock.GetCurrentInstant()), _clock.GetCurrentInstant(), Limits));
        Run(_outbox.AttemptFinished(Due()[0].DeliveryId, "HTTP 502", _clock.GetCurrentInstant(), Limits));

        var back = WebhookOutbox.FromSnapshot(_outbox.ToSnapshot());
        Assert.Equal(_outbox.Webhooks.Values, back.Webhooks.Values);
        Assert.Equal(_outbox.Pending.Values, back.Pending.Values);
        Assert.Equal(_outbox.Handled.Order(), back.Handled.Order());
    }

    [Theory]
    [InlineData("ftp://hooks.example.org/x", "scheme ftp is not allowed")]
    [InlineData("file:///etc/passwd", "scheme file is not allowed")]
    [InlineData("gopher://127.0.0.1:6379/_FLUSHALL", "scheme gopher is not allowed")]
    [InlineData("javascript:alert(1)", "must be an absolute http:// or https:// URL")]
    [InlineData("/relative/path", "must be an absolute http:// or https:// URL")]
    [InlineData("https://user:pass@hooks.example.org/", "must not carry user info")]
    [InlineData("https://hooks.example.org/#frag", "must not have a #fragment")]
    [InlineData("https://hooks.example.org/a b", "must not contain whitespace")]
    [InlineData("https://hooks.example.org/\r\nX-Injected: 1", "must not contain whitespace")]
    [InlineData("", "required")]
    public void Hostile_or_malformed_urls_are_refused_with_a_reason(string url, string reason)
    {
        var errors = WebhookRules.Validate(url, Secret, [NotificationKinds.DeploymentFailed], "json");
        Assert.Contains(errors, e => e.StartsWith("url: ", StringComparison.Ordinal) && e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Secrets_events_and_formats_are_validated_together()
    {
        var errors = WebhookRules.Validate("https://hooks.example.org/", "short", ["deployment.failed", "bogus\u0000kind"], "xml");
        Assert.Contains(errors, e => e.StartsWith("secret: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("events: unknown \"bogus?kind\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("format: ", StringComparison.Ordinal));
        Assert.Contains(WebhookRules.Validate("https://h.example.org/", Secret, [], null), e => e.StartsWith("events: ", StringComparison.Ordinal));
        Assert.Contains(WebhookRules.Validate("https://h.example.org/", Secret, [NotificationKinds.Test], null), e => e.StartsWith("events: unknown", StringComparison.Ordinal));
        Assert.Empty(WebhookRules.Validate("http://10.0.0.7:8080/hook", Secret, [.. NotificationKinds.All], "slack"));
    }

    [Fact]
    public void The_json_body_is_version_1_and_the_signature_is_hmac_sha256_over_timestamp_dot_body()
    {
        var n = Failed("dep_a", Instant.FromUtc(2026, 12, 5, 12, 0, 1));
        var body = WebhookPayload.Body(n, WebhookFormat.Json);
        Assert.Equal("""{"version":1,"id":"deployment.failed:dep_a","event":"deployment.failed","at":"2026-12-05T12:00:01Z","summary":"deployment dep_a failed","subject":{"deployment":"dep_a"}}""",
            Encoding.UTF8.GetString(body));

        var timestamp = WebhookPayload.Timestamp(n.At);
        Assert.Equal("1796472001", timestamp);
        var expected = "v1=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(timestamp + "." + Encoding.UTF8.GetString(body))));
        Assert.Equal(expected, WebhookPayload.Signature(Secret, timestamp, body));
        Assert.True(WebhookPayload.Verify(Secret, timestamp, body, expected));
        Assert.False(WebhookPayload.Verify(Secret + "x", timestamp, body, expected));
        Assert.False(WebhookPayload.Verify(Secret, "1796472002", body, expected));

        var slack = JsonDocument.Parse(WebhookPayload.Body(n, WebhookFormat.Slack)).RootElement;
        Assert.Equal("[sower] deployment dep_a failed", slack.GetProperty("text").GetString());
    }
}
