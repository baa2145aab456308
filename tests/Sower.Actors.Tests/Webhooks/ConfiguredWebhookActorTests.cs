using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Webhooks;
using Sower.Messages.Webhooks;
using Sower.Testing;
using Xunit.Abstractions;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookQueries;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Actors.Tests.Webhooks;

/// <summary>Webhooks of the server config file in the outbox actor (in-memory journal, fake clock, real receiver): delivered
/// like the API's, owned by the file, never persisted, reconciled at every start.</summary>
public sealed class ConfiguredWebhookActorTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serializers.sower-webhooks = "{{typeof(WebhookSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IWebhookMessage).AssemblyQualifiedName}}" = sower-webhooks }
        akka.actor.serialization-identifiers { "{{typeof(WebhookSerializer).AssemblyQualifiedName}}" = 210 }
        """);

    private const string Secret = "a-config-file-secret-of-32-chars";
    private const string Sid = "whk_cconfiguredchat000000000";
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 12, 0));
    private readonly RecordingReceiver _receiver = new();

    public ConfiguredWebhookActorTests(ITestOutputHelper output) : base(InMemoryPersistence, output: output) { }

    private WebhookSettings Settings(params ConfiguredWebhook[] configured) => new()
    {
        Limits = WebhookOutboxLimits.Default with { FirstRetry = Duration.FromSeconds(60) },
        AttemptTimeout = TimeSpan.FromSeconds(1),
        PollInterval = TimeSpan.FromMilliseconds(50),
        Configured = [.. configured],
    };

    private ConfiguredWebhook Chat(string path) =>
        new("chat", new Webhook(Sid, _receiver.BaseUrl + path.TrimStart('/'), Secret, [NotificationKinds.DeploymentFailed], WebhookFormat.Json, _clock.GetCurrentInstant()));

    private static NotificationRaised Failed(string deployment) => new(Notification.Of($"deployment.failed:{deployment}",
        NotificationKinds.DeploymentFailed, Instant.FromUtc(2026, 12, 5, 11, 59), $"deployment {deployment} failed", ("deployment", deployment)));

    private WebhookOutboxStatus StatusOf(IActorRef outbox)
    {
        outbox.Tell(GetWebhookOutboxStatus.Instance);
        return ExpectMsg<WebhookOutboxStatus>();
    }

    private IActorRef Restart(IActorRef outbox, WebhookSettings settings)
    {
        Watch(outbox);
        Sys.Stop(outbox);
        ExpectTerminated(outbox);
        return Sys.ActorOf(Props.Create(() => new WebhookOutboxActor(_clock, settings)));
    }

    [Fact]
    public void A_configured_webhook_is_delivered_to_listed_with_its_name_and_cannot_be_removed_over_the_api()
    {
        var outbox = Sys.ActorOf(Props.Create(() => new WebhookOutboxActor(_clock, Settings(Chat("/chat")))));
        outbox.Tell(Failed("dply_a"));
        AwaitCondition(() => _receiver.On("/chat").Any(), TimeSpan.FromSeconds(10));
        var request = Assert.Single(_receiver.On("/chat"));
        Assert.Equal("deployment.failed:dply_a", request.Headers["Idempotency-Key"]);
        Assert.True(WebhookPayload.Verify(Secret, request.Headers["X-Sower-Timestamp"], request.Body, request.Headers["X-Sower-Signature"]));

        outbox.Tell(GetWebhooks.Instance);
        Assert.Equal("chat", Assert.Single(ExpectMsg<WebhookList>().Webhooks).ConfigName);
        outbox.Tell(new RemoveWebhook(Sid));
        Assert.Equal(WebhookErrorCodes.Configured, ExpectMsg<WebhookError>().Code);

        // After a restart with the same file: the same webhook, and the delivered key is not sent again.
        outbox = Restart(outbox, Settings(Chat("/chat")));
        outbox.Tell(Failed("dply_a"));
        outbox.Tell(GetWebhooks.Instance);
        Assert.Single(ExpectMsg<WebhookList>().Webhooks);
        Thread.Sleep(300);
        Assert.Single(_receiver.On("/chat"));
    }

    [Fact]
    public void A_webhook_removed_from_the_file_takes_its_pending_deliveries_with_it_and_a_changed_url_gets_them()
    {
        _receiver.Status["/down"] = 503;
        var outbox = Sys.ActorOf(Props.Create(() => new WebhookOutboxActor(_clock, Settings(Chat("/down")))));
        outbox.Tell(Failed("dply_a"));
        AwaitCondition(() => StatusOf(outbox).PendingEntries.Any(e => e.Attempts == 1), TimeSpan.FromSeconds(10));

        // Same name, new URL: the pending delivery goes to the new one at its next attempt.
        outbox = Restart(outbox, Settings(Chat("/moved")));
        _clock.Advance(Duration.FromSeconds(60));
        AwaitCondition(() => _receiver.On("/moved").Any(), TimeSpan.FromSeconds(10));
        AwaitCondition(() => StatusOf(outbox).Pending == 0, TimeSpan.FromSeconds(10));

        _receiver.Status["/moved"] = 503;
        outbox.Tell(Failed("dply_b"));
        AwaitCondition(() => StatusOf(outbox).PendingEntries.Any(e => e.Attempts == 1), TimeSpan.FromSeconds(10));
        // Dropped from the file: its pending delivery is dropped too, for good (persisted), and nothing else is touched.
        outbox = Restart(outbox, Settings());
        AwaitCondition(() => StatusOf(outbox).Pending == 0, TimeSpan.FromSeconds(10));
        outbox = Restart(outbox, Settings());
        Assert.Equal(0, StatusOf(outbox).Pending);
        outbox.Tell(GetWebhooks.Instance);
        Assert.Empty(ExpectMsg<WebhookList>().Webhooks);
    }

    void IDisposable.Dispose()
    {
        _receiver.Dispose();
        Dispose();
    }
}
