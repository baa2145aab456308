using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Webhooks;
using Sower.Testing;
using Sower.Messages.Webhooks;
using Xunit.Abstractions;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookQueries;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Actors.Tests.Webhooks;

/// <summary>The outbox actor over the in-memory journal, a fake clock for backoff, and a real HTTP receiver.</summary>
public sealed class WebhookOutboxActorTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serializers.sower-webhooks = "{{typeof(WebhookSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IWebhookMessage).AssemblyQualifiedName}}" = sower-webhooks }
        akka.actor.serialization-identifiers { "{{typeof(WebhookSerializer).AssemblyQualifiedName}}" = 210 }
        """);

    private const string Secret = "an-example-secret-of-32-chars-ok";
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 12, 0));
    private readonly RecordingReceiver _receiver = new();
    private readonly WebhookSettings _settings = new()
    {
        Limits = WebhookOutboxLimits.Default with { FirstRetry = Duration.FromSeconds(60), MaxAttempts = 3 },
        AttemptTimeout = TimeSpan.FromSeconds(1),
        PollInterval = TimeSpan.FromMilliseconds(50),
        SnapshotEvery = 4,
    };

    /// <summary>A first answer includes recovery and the journal's start: more than TestKit's 3 s on a loaded CI core.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public WebhookOutboxActorTests(ITestOutputHelper output) : base(InMemoryPersistence, output: output) { }

    private IActorRef Outbox() => Sys.ActorOf(Props.Create(() => new WebhookOutboxActor(_clock, _settings)));

    private string Add(IActorRef outbox, string path, WebhookFormat format = WebhookFormat.Json)
    {
        outbox.Tell(new AddWebhook(_receiver.BaseUrl + path.TrimStart('/'), Secret, [NotificationKinds.DeploymentFailed], format));
        return ExpectMsg<WebhookSaved>(Patience).Webhook.Sid;
    }

    private static NotificationRaised Failed(string deployment) => new(Notification.Of($"{NotificationKinds.DeploymentFailed}:{deployment}",
        NotificationKinds.DeploymentFailed, Instant.FromUtc(2026, 12, 5, 11, 59), $"deployment {deployment} failed", ("deployment", deployment)));

    private WebhookOutboxStatus StatusOf(IActorRef outbox)
    {
        outbox.Tell(GetWebhookOutboxStatus.Instance);
        return ExpectMsg<WebhookOutboxStatus>(Patience);
    }

    private void Restart(ref IActorRef outbox)
    {
        Watch(outbox);
        Sys.Stop(outbox);
        ExpectTerminated(outbox);
        outbox = Outbox();
    }

    [Fact]
    public void A_notification_arrives_signed_with_its_idempotency_key_once_and_a_restart_does_not_send_it_again()
    {
        var outbox = Outbox();
        Add(outbox, "/ok");
        outbox.Tell(Failed("dep_a"));
        outbox.Tell(Failed("dep_a")); // raised twice (a replayed entity): enqueued once

        AwaitCondition(() => _receiver.On("/ok").Any(), TimeSpan.FromSeconds(10));
        AwaitCondition(() => StatusOf(outbox).Pending == 0, TimeSpan.FromSeconds(10));
        var request = Assert.Single(_receiver.On("/ok"));
        Assert.Equal("deployment.failed:dep_a", request.Headers["Idempotency-Key"]);
        Assert.Equal("deployment.failed", request.Headers["X-Sower-Event"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        Assert.True(WebhookPayload.Verify(Secret, request.Headers["X-Sower-Timestamp"], request.Body, request.Headers["X-Sower-Signature"]));
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.Equal("dep_a", body.GetProperty("subject").GetProperty("deployment").GetString());
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(request.Body));

        Restart(ref outbox);
        outbox.Tell(Failed("dep_a"));
        outbox.Tell(GetWebhooks.Instance);
        Assert.Single(ExpectMsg<WebhookList>(Patience).Webhooks);
        Thread.Sleep(300); // several polls: nothing is due
        Assert.Single(_receiver.On("/ok"));
        Assert.Equal(0, StatusOf(outbox).Pending);
    }

    [Fact]
    public void A_failing_receiver_is_retried_after_the_backoff_and_a_hanging_one_holds_back_neither_the_others_nor_the_actor()
    {
        var outbox = Outbox();
        _receiver.Status["/fails"] = 500;
        _receiver.Status["/hangs"] = 0;
        var fails = Add(outbox, "/fails");
        var hangs = Add(outbox, "/hangs");
        Add(outbox, "/ok", WebhookFormat.Slack);

        outbox.Tell(Failed("dep_a"));
        AwaitCondition(() => _receiver.On("/ok").Any() && _receiver.On("/fails").Any() && _receiver.On("/hangs").Any(), TimeSpan.FromSeconds(10));
        Assert.Equal("[sower] deployment dep_a failed", JsonDocument.Parse(_receiver.On("/ok").Single().Body).RootElement.GetProperty("text").GetString());

        // The actor answers while a delivery hangs, and the hanging attempt ends with the timeout.
        AwaitCondition(() => StatusOf(outbox).PendingEntries.Any(e => e.WebhookSid == hangs && e.Attempts == 1), TimeSpan.FromSeconds(10));
        var status = StatusOf(outbox);
        Assert.Equal(2, status.Pending);
        Assert.Equal("no response within 1 s", status.PendingEntries.Single(e => e.WebhookSid == hangs).LastError);
        var failing = status.PendingEntries.Single(e => e.WebhookSid == fails);
        Assert.Equal("HTTP 500", failing.LastError);
        Assert.Equal(_clock.GetCurrentInstant() + Duration.FromSeconds(60), failing.NextAttemptAt);

        // Not retried before the backoff has passed on the clock.
        Thread.Sleep(300);
        Assert.Single(_receiver.On("/fails"));
        _receiver.Status["/fails"] = 200;
        _clock.Advance(Duration.FromSeconds(60));
        AwaitCondition(() => _receiver.On("/fails").Count() == 2, TimeSpan.FromSeconds(10));
        AwaitCondition(() => StatusOf(outbox).PendingEntries.All(e => e.WebhookSid != fails), TimeSpan.FromSeconds(10));
        var keys = _receiver.On("/fails").Select(r => r.Headers["Idempotency-Key"]).Distinct();
        Assert.Equal(["deployment.failed:dep_a"], keys);
    }

    [Fact]
    public void Attempts_run_out_into_the_dead_list_and_pending_entries_survive_a_restart()
    {
        var outbox = Outbox();
        _receiver.Status["/down"] = 503;
        Add(outbox, "/down");
        outbox.Tell(Failed("dep_a"));
        outbox.Tell(Failed("dep_b"));
        AwaitCondition(() => StatusOf(outbox).PendingEntries.Count(e => e.Attempts == 1) == 2, TimeSpan.FromSeconds(10));

        Restart(ref outbox);
        Assert.Equal(2, StatusOf(outbox).Pending);
        _clock.Advance(Duration.FromSeconds(60));
        AwaitCondition(() => StatusOf(outbox).PendingEntries.Count(e => e.Attempts == 2) == 2, TimeSpan.FromSeconds(10));
        _clock.Advance(Duration.FromSeconds(120));
        AwaitCondition(() => StatusOf(outbox).Dead == 2, TimeSpan.FromSeconds(10));

        var status = StatusOf(outbox);
        Assert.Equal(0, status.Pending);
        Assert.All(status.DeadEntries, e => Assert.Equal("gave up after 3 attempts: HTTP 503", e.LastError));
        Assert.Equal(6, _receiver.On("/down").Count());

        Restart(ref outbox);
        Assert.Equal(2, StatusOf(outbox).Dead);
    }

    [Fact]
    public void Invalid_webhooks_are_refused_and_the_secret_is_never_in_a_reply()
    {
        var outbox = Outbox();
        outbox.Tell(new AddWebhook("file:///etc/shadow", Secret, [NotificationKinds.DeploymentFailed], WebhookFormat.Json));
        var error = ExpectMsg<WebhookError>();
        Assert.Equal(WebhookErrorCodes.Invalid, error.Code);
        Assert.Contains(error.Errors, e => e.Contains("scheme file is not allowed", StringComparison.Ordinal));

        var sid = Add(outbox, "/ok");
        outbox.Tell(GetWebhooks.Instance);
        var list = ExpectMsg<WebhookList>();
        Assert.DoesNotContain(Secret, JsonSerializer.Serialize(list, WebhookSerializer.Json));
        outbox.Tell(new TestWebhook(sid));
        var queued = ExpectMsg<WebhookTestQueued>();
        AwaitCondition(() => _receiver.On("/ok").Any(r => r.Headers["Idempotency-Key"] == queued.Key), TimeSpan.FromSeconds(10));
        outbox.Tell(new RemoveWebhook(sid));
        ExpectMsg<WebhookRemovalConfirmed>();
        outbox.Tell(new RemoveWebhook(sid));
        Assert.Equal(WebhookErrorCodes.NotFound, ExpectMsg<WebhookError>().Code);
    }

    void IDisposable.Dispose()
    {
        _receiver.Dispose();
        Dispose();
    }
}
