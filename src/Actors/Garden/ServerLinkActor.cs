using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Sower.Messages.Domain;
using Sower.Messages.Garden;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>
/// The garden's one connection to the server (REFERENCE §5.4–§5.6): enrol once, authenticate with the garden's own credential,
/// reconnect with exponential backoff and full jitter (0.2 s → 60 s), sync subscriptions on every session, and deliver the
/// durable outbox in order, one message at a time, after every reconnect.
/// </summary>
public sealed class ServerLinkActor : ReceivePersistentActor, IWithTimers
{
    public const string PersistenceIdValue = "garden-outbox";
    private const string ReconnectTimer = "reconnect";
    private const string ResendTimer = "resend";

    /// <summary>Reply codes the link makes up itself (never from the server): no session, or the call failed on the way.</summary>
    public const string NotConnected = "not_connected";
    public const string TransportErrorCode = "transport_error";

    private readonly IGardenGateway gateway;
    private readonly GardenStateStore store;
    private readonly string version;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Dictionary<long, (IActorRef Target, string? Tag)> notify = new();
    private readonly CancellationTokenSource lifetime = new();
    private GardenConfig config;
    private IGatewaySession? session;
    private int generation;
    private int attempt;
    private bool connecting;
    private bool draining;
    private GardenOutbox outbox = GardenOutbox.Empty;
    private int pendingPolls;
    private bool rejected;
    // The generation whose connection closed before its connect outcome arrived (the close overtook the outcome).
    private int closedWhileConnecting = -1;

    public ServerLinkActor(GardenConfig config, IGardenGateway gateway, GardenStateStore store, string version)
    {
        this.config = config;
        this.gateway = gateway;
        this.store = store;
        this.version = version;

        Recover<GardenJournalEvents.OutboxMessageAppended>(e => outbox = outbox.Appended(e.Seq, OutboxItem.Of(e.Message)));
        // Entries journaled before the typed outbox (v1): read back into their records; one of no known shape is sent as it was.
        Recover<GardenJournalEvents.OutboxAppended>(e => outbox = outbox.Appended(e.Seq, OutboxItem.Legacy(e.Method, e.PayloadJson)));
        Recover<GardenJournalEvents.OutboxDelivered>(e => outbox = outbox.Delivered(e.Seq));
        // PreStart already started connecting; only a garden that is neither connecting nor waiting to retry starts here.
        Recover<RecoveryCompleted>(_ =>
        {
            if (!connecting && session is null && !Timers.IsTimerActive(ReconnectTimer)) Self.Tell(Connect.Instance);
        });

        Command<Connect>(_ => StartConnect());
        Command<ConnectOutcome>(OnConnectOutcome);
        Command<SessionClosed>(OnSessionClosed);
        Command<PushArrived>(p =>
        {
            if (p.Generation == generation) Context.Parent.Tell(new GardenCommands.PushReceived(p.Name, p.Payload));
        });
        Command<SyncOutcome>(OnSyncOutcome);
        Command<GardenCommands.ApplyConfig>(a =>
        {
            this.config = a.Config;
            if (session is not null) StartSync();
            // A reload is the operator's way to ask again after a rejected enrollment.
            else if (rejected) { rejected = false; StartConnect(); }
        });
        Command<GardenCommands.Reconnect>(OnReconnect);
        Command<GardenCommands.SendDurable>(OnSendDurable);
        Command<SendOutcome>(OnSendOutcome);
        Command<Resend>(_ => TrySendNext());
        Command<GardenCommands.Invoke>(OnInvoke);
        Command<GardenCommands.Drain>(_ =>
        {
            draining = true;
            Timers.Cancel(ReconnectTimer);
        });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => log.Warning("Could not trim the outbox journal: {Error}", f.Cause.Message));
    }

    public override string PersistenceId => PersistenceIdValue;


    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GardenConfig config, IGardenGateway gateway, GardenStateStore store, string version) =>
        Akka.Actor.Props.Create(() => new ServerLinkActor(config, gateway, store, version));

    /// <summary>Backoff before attempt <paramref name="attempt"/> (0-based): full jitter under a cap doubling from 0.2 s to 60 s.</summary>
    public static TimeSpan Backoff(int attempt, double random)
    {
        var cap = Math.Min(60.0, 0.2 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromSeconds(Math.Max(0.2, cap * random));
    }

    /// <summary>A stable host identifier: SHA-256 of /etc/machine-id (or the host name) and the garden name.</summary>
    public static string HostIdentifier(string gardenName)
    {
        string machine;
        try { machine = File.Exists("/etc/machine-id") ? File.ReadAllText("/etc/machine-id").Trim() : Environment.MachineName; }
        catch (IOException) { machine = Environment.MachineName; }
        catch (UnauthorizedAccessException) { machine = Environment.MachineName; }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machine + "\n" + gardenName)));
    }

    // Connect while the journal recovers (SQLite start-up is the slow part); the outcome waits in the stash until recovery ends.
    protected override void PreStart()
    {
        base.PreStart();
        StartConnect();
    }

    protected override void PostStop()
    {
        lifetime.Cancel();
        var closing = session;
        session = null;
        if (closing is not null) _ = closing.DisposeAsync().AsTask();
        base.PostStop();
    }

    private void StartConnect()
    {
        if (connecting || session is not null || draining) return;
        connecting = true;
        generation++;
        var gen = generation;
        var self = Self;
        var cfg = config;
        ConnectOnce(cfg, gen, self).PipeTo(self);
    }

    private async Task<ConnectOutcome> ConnectOnce(GardenConfig cfg, int gen, IActorRef self)
    {
        try
        {
            var state = store.Current;
            if (state.Credential is null)
            {
                if (cfg.AccessToken is null)
                {
                    return new ConnectOutcome(gen, null, "no stored garden credential and no enrollment token (access_token)", false);
                }
                var hostId = state.HostIdentifier ?? HostIdentifier(cfg.Name);
                var enrolled = state.PendingEnrollment is { } ticket
                    ? await gateway.ClaimAsync(cfg, ticket, lifetime.Token).ConfigureAwait(false)
                    : await gateway.EnrollAsync(cfg, hostId, version, lifetime.Token).ConfigureAwait(false);
                if (enrolled.Credential is null)
                {
                    var first = state.PendingEnrollment is null;
                    store.Update(s => s with { GardenSid = enrolled.GardenSid, HostIdentifier = hostId, PendingEnrollment = enrolled.Pending });
                    return new ConnectOutcome(gen, null, enrolled.Message, false, first ? LinkWait.Parked : LinkWait.StillPending);
                }
                state = store.Update(s => s with { GardenSid = enrolled.GardenSid, Credential = enrolled.Credential, HostIdentifier = hostId, PendingEnrollment = null });
            }
            var listener = new Listener(self, gen);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
            timeout.CancelAfter(cfg.Timeouts.ServerReply);
            var opened = await gateway.ConnectAsync(cfg, state.Credential!, listener, timeout.Token).ConfigureAwait(false);
            return new ConnectOutcome(gen, opened, null, false);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.CredentialRevoked)
        {
            // The credential is unknown or revoked: forget it and enrol again; the server re-binds this garden by host identifier.
            store.Update(s => s with { Credential = null });
            return new ConnectOutcome(gen, null, $"garden credential rejected ({e.Message}); re-enrolling", true);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.GardenDeleted)
        {
            store.Update(s => s with { Credential = null, PendingEnrollment = null });
            return new ConnectOutcome(gen, null, e.Message, false, LinkWait.Deleted);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.EnrollmentRejected)
        {
            var enrollment = store.Current.PendingEnrollment?.EnrollmentSid;
            store.Update(s => s with { PendingEnrollment = null });
            return new ConnectOutcome(gen, null, e.Message, false, LinkWait.Rejected, enrollment);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.EnrollmentLapsed)
        {
            store.Update(s => s with { PendingEnrollment = null });
            return new ConnectOutcome(gen, null, $"the enrollment waiting for approval lapsed ({e.Message}); asking again", false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ConnectOutcome(gen, null, e.Message, false);
        }
    }

    private void OnConnectOutcome(ConnectOutcome outcome)
    {
        // A stale outcome (a reconnect started a newer attempt) says nothing about the attempt still connecting.
        if (outcome.Generation != generation) { _ = outcome.Session?.DisposeAsync().AsTask(); return; }
        connecting = false;
        if (outcome.Session is not null && closedWhileConnecting == outcome.Generation)
        {
            // The server closed this connection before the join's reply reached us (it kept another of ours): never keep a dead one.
            log.Warning("The server closed the new connection while it was being opened; connecting again");
            _ = outcome.Session.DisposeAsync().AsTask();
            ScheduleReconnect();
            return;
        }
        if (outcome.Session is null && outcome.Wait != LinkWait.None)
        {
            OnEnrollmentWait(outcome);
            return;
        }
        pendingPolls = 0;
        if (outcome.Session is null)
        {
            log.Warning("Connection to {Endpoint} failed: {Error}", config.Endpoint, outcome.Error);
            // Re-enrol at once the first time; a credential refused again right after goes through the backoff, never a hot loop.
            if (outcome.RetryNow && attempt == 0) { attempt++; Self.Tell(Connect.Instance); return; }
            ScheduleReconnect();
            return;
        }
        if (draining) { _ = outcome.Session.DisposeAsync().AsTask(); return; }
        session = outcome.Session;
        attempt = 0;
        var sid = store.Current.GardenSid;
        log.Info("garden session established sid={GardenSid} connection={ConnectionId}", sid, session.ConnectionId ?? "?");
        Publish("connected");
        Context.System.EventStream.Publish(new GardenEvents.ConnectionChanged(true, sid));
        StartSync();
        TrySendNext();
    }

    /// <summary>
    /// Waiting on an admin: a parked enrollment is polled with a backoff doubling from 2 s to timeouts.enrollment_poll; a deleted
    /// garden is retried every timeouts.enrollment_poll; a rejected one waits for a restart or a reload. Never a hot loop.
    /// </summary>
    private void OnEnrollmentWait(ConnectOutcome outcome)
    {
        var sid = store.Current.GardenSid ?? "?";
        var enrollment = outcome.Enrollment ?? store.Current.PendingEnrollment?.EnrollmentSid ?? "?";
        var cap = config.Timeouts.EffectiveEnrollmentPoll;
        switch (outcome.Wait)
        {
            case LinkWait.Parked:
            case LinkWait.StillPending:
                var delay = TimeSpan.FromSeconds(Math.Min(cap.TotalSeconds, 2 * Math.Pow(2, Math.Min(pendingPolls++, 20))));
                if (outcome.Wait == LinkWait.Parked || pendingPolls % 20 == 0)
                {
                    log.Warning("This host is already enrolled on the server as garden {GardenSid}, and this garden has no valid credential for it (a lost or new " +
                        "state directory, or a revoked credential): enrollment {EnrollmentSid} waits for an admin's approval. An admin approves it with " +
                        "`sower garden enrollments approve {EnrollmentSid}` (or rejects it with `sower garden enrollments reject {EnrollmentSid}`); this garden checks again " +
                        "every {PollSeconds} s at most.", sid, enrollment, enrollment, enrollment, (int)Math.Ceiling(cap.TotalSeconds));
                }
                else
                {
                    log.Info("Enrollment {EnrollmentSid} still waits for an admin's approval; checking again in {DelaySeconds} s", enrollment, (int)Math.Ceiling(delay.TotalSeconds));
                }
                Publish("waiting for enrollment approval");
                Timers.StartSingleTimer(ReconnectTimer, Connect.Instance, delay);
                break;
            case LinkWait.Deleted:
                log.Error("The server refused this garden: {Error}. It was deleted on the server; until an admin restores it with " +
                    "`sower garden restore {GardenSid}` this garden stays offline and tries again every {PollSeconds} s.",
                    outcome.Error, sid, (int)Math.Ceiling(cap.TotalSeconds));
                Publish("deleted on the server");
                Timers.StartSingleTimer(ReconnectTimer, Connect.Instance, cap);
                break;
            case LinkWait.Rejected:
                log.Error("An admin rejected enrollment {EnrollmentSid} of garden {GardenSid} ({Error}). This garden stays offline; restart sower-garden (or run " +
                    "`sower garden reload`) to ask again.", enrollment, sid, outcome.Error);
                Publish("enrollment rejected");
                rejected = true;
                break;
        }
    }

    private void ScheduleReconnect()
    {
        if (draining) return;
        var delay = Backoff(attempt++, Random.Shared.NextDouble());
        Publish($"reconnecting in {Math.Max(1, (int)Math.Round(delay.TotalSeconds))} s");
        Timers.StartSingleTimer(ReconnectTimer, Connect.Instance, delay);
    }

    private void OnSessionClosed(SessionClosed closed)
    {
        if (closed.Generation == generation && session is null && connecting) closedWhileConnecting = closed.Generation;
        if (closed.Generation != generation || session is null) return;
        log.Warning("Connection to the server lost: {Error}", closed.Error?.Message ?? "closed");
        var old = session;
        session = null;
        outbox = outbox.Released();
        _ = old.DisposeAsync().AsTask();
        Context.System.EventStream.Publish(new GardenEvents.ConnectionChanged(false, store.Current.GardenSid));
        ScheduleReconnect();
    }

    /// <summary>A new connection on request: whatever the current one proves, it was made before the switch.</summary>
    private void OnReconnect(GardenCommands.Reconnect reconnect)
    {
        if (draining || rejected) return;
        log.Info("Reconnecting to the server: {Reason}", reconnect.Reason);
        Timers.Cancel(ReconnectTimer);
        if (session is { } old)
        {
            session = null;
            outbox = outbox.Released();
            _ = old.DisposeAsync().AsTask();
            Context.System.EventStream.Publish(new GardenEvents.ConnectionChanged(false, store.Current.GardenSid));
        }
        // A connect in progress belongs to the old generation: its outcome is discarded when it arrives.
        connecting = false;
        StartConnect();
    }

    private void StartSync()
    {
        var current = session;
        if (current is null) return;
        var cfg = config;
        var sync = new SubscriptionsSyncMessage(
            new JsonArray(cfg.Subscriptions.Select(s => (JsonNode?)SubscriptionJson.ToJson(s)).ToArray()),
            // The garden's own labels (issue 14.1) travel with every sync, so removing one from the file removes it on the server.
            new JsonObject(cfg.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))));
        var gen = generation;
        InvokeWithTimeout(current, GatewayProtocol.SubscriptionsSync, GatewayRequests.ToPayload(sync), cfg.Timeouts.ServerReply)
            .ContinueWith(t => new SyncOutcome(gen, cfg, t.IsCompletedSuccessfully ? t.Result : TransportError(t)),
                TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnSyncOutcome(SyncOutcome outcome)
    {
        if (outcome.Generation != generation) return;
        if (!outcome.Reply.Ok)
        {
            // Keep the previously stored subscriptions and cron jobs (pitfall 33); retry on the next connection or reload.
            log.Error("Subscription sync failed: {ErrorCode} {ErrorMessage}; keeping the previously synced subscriptions", outcome.Reply.ErrorCode, outcome.Reply.ErrorMessage);
            return;
        }
        var list = outcome.Reply.Body switch
        {
            JsonArray a => a,
            JsonObject o when o["subscriptions"] is JsonArray a => a,
            _ => null,
        };
        if (list is null) { log.Error("Subscription sync failed: the reply holds no subscription list"); return; }
        var sidsByName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in list.OfType<JsonObject>())
        {
            if ((string?)item["name"] is { } name && (string?)item["sid"] is { } sid) sidsByName[name] = sid;
        }
        // Pair by subscription name, never by seed name and type (pitfall 34).
        var synced = outcome.Config.Subscriptions
            .Where(s => sidsByName.ContainsKey(s.Name))
            .Select(s => new SyncedSubscription(sidsByName[s.Name], s))
            .ToImmutableArray();
        store.Update(s => s with { Subscriptions = synced });
        log.Info("Synced {SubscriptionCount} subscription(s)", synced.Length);
        Context.Parent.Tell(new GardenCommands.SubscriptionsSynced(synced));
        // The host follows with the profiles report, the version report and poll-on-connect, in that order (§5.5).
        Context.Parent.Tell(new GardenCommands.SessionReady(store.Current.GardenSid));
    }

    private void OnSendDurable(GardenCommands.SendDurable send)
    {
        // Persist holds back later commands until this is journaled, so the next send sees the next sequence number.
        var entry = new GardenJournalEvents.OutboxMessageAppended(outbox.NextSeq, send.Message);
        Persist(entry, e =>
        {
            outbox = outbox.Appended(e.Seq, OutboxItem.Of(e.Message));
            if (send.NotifyDelivered is not null) notify[e.Seq] = (send.NotifyDelivered, send.Tag);
            TrySendNext();
        });
    }

    private void TrySendNext()
    {
        if (session is null || outbox.Next() is not (var sending, var seq, var entry)) return;
        outbox = sending;
        var gen = generation;
        InvokeWithTimeout(session, entry.Method, entry.Payload(), config.Timeouts.ServerReply)
            .ContinueWith(t => new SendOutcome(gen, seq, t.IsCompletedSuccessfully ? t.Result : null, t.Exception?.GetBaseException().Message), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnSendOutcome(SendOutcome outcome)
    {
        if (outcome.Generation != generation || !outbox.Awaits(outcome.Seq)) return;
        var verdict = GardenOutbox.Judge(outcome.Reply);
        if (verdict == OutboxVerdict.Retry)
        {
            // Transport error or timeout: retry while connected; a disconnect resends after the next session.
            outbox = outbox.Released();
            log.Warning("Sending outbox message {OutboxSeq} failed: {Error}; retrying", outcome.Seq, outcome.Error ?? outcome.Reply?.ErrorCode);
            Timers.StartSingleTimer(ResendTimer, Resend.Instance, TimeSpan.FromSeconds(1));
            return;
        }
        if (verdict == OutboxVerdict.Refused && outbox.Pending.TryGetValue(outcome.Seq, out var rejected))
        {
            log.Warning("The server refused {Method}: {ErrorCode} {ErrorMessage}", rejected.Method, outcome.Reply?.ErrorCode, outcome.Reply?.ErrorMessage);
        }
        Persist(new GardenJournalEvents.OutboxDelivered(outcome.Seq), e =>
        {
            outbox = outbox.Delivered(e.Seq);
            if (notify.Remove(e.Seq, out var target)) target.Target.Tell(new GardenCommands.DurableDelivered(target.Tag));
            if (outbox.Pending.IsEmpty && LastSequenceNr > 200) DeleteMessages(LastSequenceNr);
            TrySendNext();
        });
    }

    private void OnInvoke(GardenCommands.Invoke invoke)
    {
        var sender = Sender;
        if (session is null)
        {
            sender.Tell(new GardenCommands.InvokeResult(GatewayReply.Failure(NotConnected, AdminProtocol.NotConnected), invoke.Correlation));
            return;
        }
        InvokeWithTimeout(session, GatewayRequests.MethodOf(invoke.Message), GatewayRequests.ToPayload(invoke.Message), config.Timeouts.ServerReply)
            .ContinueWith(t => new GardenCommands.InvokeResult(t.IsCompletedSuccessfully ? t.Result : TransportError(t), invoke.Correlation), TaskScheduler.Default)
            .PipeTo(sender);
    }

    private async Task<GatewayReply> InvokeWithTimeout(IGatewaySession target, string method, JsonObject payload, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
        cts.CancelAfter(timeout);
        return await target.InvokeAsync(method, payload, cts.Token).ConfigureAwait(false);
    }

    private static GatewayReply TransportError(Task task) =>
        GatewayReply.Failure(TransportErrorCode, task.Exception?.GetBaseException().Message ?? "timed out");

    private void Publish(string status) => Context.System.EventStream.Publish(new GardenEvents.StatusChanged(status));

    private sealed class Listener(IActorRef self, int generation) : IGatewayListener
    {
        public void OnPush(string name, JsonNode? payload) => self.Tell(new PushArrived(generation, name, payload));

        public void OnClosed(Exception? error) => self.Tell(new SessionClosed(generation, error));
    }

    private sealed class Connect
    {
        public static readonly Connect Instance = new();
    }

    private sealed class Resend
    {
        public static readonly Resend Instance = new();
    }

    private sealed record ConnectOutcome(int Generation, IGatewaySession? Session, string? Error, bool RetryNow, LinkWait Wait = LinkWait.None,
        string? Enrollment = null);

    /// <summary>Why the link waits on an admin rather than on the network.</summary>
    private enum LinkWait
    {
        None,
        Parked,
        StillPending,
        Deleted,
        Rejected,
    }

    private sealed record SessionClosed(int Generation, Exception? Error);

    private sealed record PushArrived(int Generation, string Name, JsonNode? Payload);

    // Calls still in flight when the link stops answer a dead actor (expected at shutdown): dead-letter-suppressed.
    private sealed record SyncOutcome(int Generation, GardenConfig Config, GatewayReply Reply) : IDeadLetterSuppression;

    private sealed record SendOutcome(int Generation, long Seq, GatewayReply? Reply, string? Error) : IDeadLetterSuppression;
}
