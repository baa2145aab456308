using System.Collections.Immutable;
using System.Net.Http.Headers;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Sower.Actors.Metrics;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Webhooks;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookEvents;
using static Sower.Messages.Webhooks.WebhookQueries;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Actors.Webhooks;

/// <summary>Registry key for the webhook outbox (a cluster singleton proxy in the <c>ActorRegistry</c>).</summary>
public sealed class WebhookOutboxActorKey;

/// <summary>
/// The event-sourced webhook outbox (one per organization, a cluster singleton): a thin shell over
/// <see cref="WebhookOutbox"/>. Notifications are persisted before anything is sent; each delivery runs as a task piped
/// back to the actor (never blocking it), at most one in flight per webhook, each attempt bounded by a timeout; its
/// outcome is persisted (delivered, retry at, gave up). After a crash the journal holds every undelivered entry, which
/// is simply due again: delivery is at least once, and the Idempotency-Key header lets the receiver drop repeats.
/// </summary>
public sealed class WebhookOutboxActor : ReceivePersistentActor, IWithTimers
{
    public const string Id = "webhook-outbox";
    private const string TickTimer = "tick";

    private readonly IClock _clock;
    private readonly WebhookSettings _settings;
    private readonly HttpClient _http;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, string> _inFlight = new(StringComparer.Ordinal);
    private WebhookOutbox _outbox = WebhookOutbox.Empty;

    public WebhookOutboxActor(IClock clock, WebhookSettings settings)
    {
        _clock = clock;
        _settings = settings;
        _http = new HttpClient(settings.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(WebhookPayload.UserAgent);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is WebhookOutboxSnapshot s) _outbox = WebhookOutbox.FromSnapshot(s);
        });
        Recover<IWebhookEvent>(e => _outbox = _outbox.Apply(e, Limits));

        Command<NotificationRaised>(r => PersistThen(_outbox.Raise(r.Notification, Now, Limits), SendDue));
        Command<AddWebhook>(cmd => Execute(_outbox.Decide(cmd, NewSid(), Now, Limits),
            events => new WebhookSaved(((WebhookAdded)events[0]).Webhook.ToView())));
        Command<RemoveWebhook>(cmd => Execute(_outbox.Decide(cmd), _ => new WebhookRemovalConfirmed(cmd.Sid)));
        Command<TestWebhook>(cmd =>
        {
            var requestId = Sid.New("");
            Execute(_outbox.Decide(cmd, requestId, Now, Limits), _ => new WebhookTestQueued(cmd.Sid, $"{NotificationKinds.Test}:{requestId}"));
        });
        Command<GetWebhooks>(_ => Sender.Tell(new WebhookList(_outbox.List())));
        Command<GetWebhookOutboxStatus>(_ => Sender.Tell(_outbox.Status()));
        Command<Tick>(_ => SendDue());
        Command<DropOrphans>(_ =>
        {
            var orphans = _outbox.Orphans();
            if (orphans.Length > 0) _log.Info("webhook outbox: dropping the pending deliveries of removed webhooks {WebhookIds}", string.Join(", ", orphans));
            PersistThen([.. orphans.Select(sid => (IWebhookEvent)new WebhookRemoved(sid, null))], () => { });
        });
        Command<AttemptFinished>(f =>
        {
            if (f.Error is not null) _log.Warning("webhook {WebhookId}: delivery {DeliveryId} failed: {Reason}", f.WebhookSid, f.DeliveryId, f.Error);
            // Still "in flight" until the outcome is applied: a deferred SendDue of an earlier command may run in between.
            PersistThen(_outbox.AttemptFinished(f.DeliveryId, f.Error, Now, Limits), () =>
            {
                _inFlight.Remove(f.WebhookSid);
                SendDue();
            });
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            // Everything up to the snapshot is in it: keep the journal and the snapshot store bounded.
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("snapshot of the webhook outbox failed: {Reason}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("trimming the webhook outbox journal failed: {Reason}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => Id;

    public ITimerScheduler Timers { get; set; } = null!;

    private Instant Now => _clock.GetCurrentInstant();

    private WebhookOutboxLimits Limits => _settings.Limits;

    protected override void OnReplaySuccess()
    {
        // The config file's webhooks are not in the journal: each start puts the file's current set in place, and
        // deliveries left for a webhook that no longer exists anywhere are dropped (persisted, once).
        _outbox = _outbox.WithConfigured(_settings.Configured.Select(c => (c.Name, c.Webhook)));
        Self.Tell(DropOrphans.Instance);
        ServerInstruments.SetOutboxDepth(_outbox.Pending.Count);
        Timers.StartPeriodicTimer(TickTimer, Tick.Instance, _settings.PollInterval);
        Self.Tell(Tick.Instance);
    }

    protected override void PostStop()
    {
        ServerInstruments.SetOutboxDepth(null);
        _http.Dispose();
        base.PostStop();
    }

    private string NewSid()
    {
        var sid = Sid.New(Webhook.Prefix);
        while (_outbox.Webhooks.ContainsKey(sid)) sid = Sid.New(Webhook.Prefix);
        return sid;
    }

    private void Execute(WebhookDecision decision, Func<ImmutableArray<IWebhookEvent>, object> reply)
    {
        if (decision.Error is { } error)
        {
            Sender.Tell(error);
            return;
        }
        var sender = Sender;
        PersistThen(decision.Events, () =>
        {
            sender.Tell(reply(decision.Events));
            SendDue();
        });
    }

    private void PersistThen(ImmutableArray<IWebhookEvent> events, Action after)
    {
        if (events.IsEmpty)
        {
            after();
            return;
        }
        var remaining = events.Length;
        // In the last event's handler, not DeferAsync: Akka unstashes the next command as soon as the events' handlers have
        // run, ahead of a deferred handler, so a reply or tell from DeferAsync could come after the next command's (a dead
        // letter when that command stops the recipient, a stale answer otherwise).
        PersistAll(events, e =>
        {
            _outbox = _outbox.Apply(e, Limits);
            ServerInstruments.SetOutboxDepth(_outbox.Pending.Count);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_outbox.ToSnapshot());
            if (--remaining == 0) after();
        });
    }

    private void SendDue()
    {
        var now = Now;
        foreach (var entry in _outbox.Due(now, _inFlight.Keys.ToHashSet(StringComparer.Ordinal)))
        {
            var webhook = _outbox.Webhooks[entry.WebhookSid];
            _inFlight[webhook.Sid] = entry.DeliveryId;
            Deliver(_http, webhook, entry, now, _settings.AttemptTimeout).PipeTo(Self);
        }
    }

    /// <summary>One attempt; never throws: every failure becomes the error text of the attempt. Only the status code
    /// of a response is kept, never its body.</summary>
    private static async Task<AttemptFinished> Deliver(HttpClient http, Webhook webhook, OutboxEntry entry, Instant now, TimeSpan timeout)
    {
        var body = WebhookPayload.Body(entry.Notification, webhook.Format);
        var timestamp = WebhookPayload.Timestamp(now);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookPayload.EventHeader, entry.Notification.Kind);
        request.Headers.TryAddWithoutValidation(WebhookPayload.IdempotencyKeyHeader, entry.Notification.Key);
        request.Headers.TryAddWithoutValidation(WebhookPayload.TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(WebhookPayload.SignatureHeader, WebhookPayload.Signature(webhook.Secret, timestamp, body));
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return new AttemptFinished(webhook.Sid, entry.DeliveryId, status is >= 200 and < 300 ? null
                : status is >= 300 and < 400 ? $"HTTP {status} (redirects are not followed)" : $"HTTP {status}");
        }
        catch (OperationCanceledException)
        {
            return new AttemptFinished(webhook.Sid, entry.DeliveryId, $"no response within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e)
        {
            return new AttemptFinished(webhook.Sid, entry.DeliveryId, e is HttpRequestException h ? $"{h.HttpRequestError}: {h.Message}" : e.Message);
        }
    }

    // An attempt still running when the actor stops answers a dead actor: expected at shutdown, so no dead-letter noise.
    private sealed record AttemptFinished(string WebhookSid, string DeliveryId, string? Error) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed class Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    private sealed class DropOrphans : INoSerializationVerificationNeeded
    {
        public static readonly DropOrphans Instance = new();
    }
}
