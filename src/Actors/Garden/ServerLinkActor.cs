using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
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

    private readonly IGardenGateway _gateway;
    private readonly GardenStateStore _store;
    private readonly string _version;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<long, (IActorRef Target, string? Tag)> _notify = new();
    private readonly CancellationTokenSource _lifetime = new();
    private GardenConfig _config;
    private GardenLink _link = GardenLink.Initial;
    private GardenOutbox _outbox = GardenOutbox.Empty;
    // The open session: set only while the actor is Connected (its behaviour), kept here so that PostStop can close it.
    private IGatewaySession? _session;

    public ServerLinkActor(GardenConfig config, IGardenGateway gateway, GardenStateStore store, string version)
    {
        _config = config;
        _gateway = gateway;
        _store = store;
        _version = version;

        Recover<GardenJournalEvents.OutboxMessageAppended>(e => _outbox = _outbox.Appended(e.Seq, OutboxItem.Of(e.Message)));
        // Entries journaled before the typed outbox (v1): read back into their records; one of no known shape is sent as it was.
        Recover<GardenJournalEvents.OutboxAppended>(e => _outbox = _outbox.Appended(e.Seq, OutboxItem.Legacy(e.Method, e.PayloadJson)));
        Recover<GardenJournalEvents.OutboxDelivered>(e => _outbox = _outbox.Delivered(e.Seq));

        // PreStart starts the first attempt while the journal recovers (SQLite start-up is the slow part): the actor starts Connecting.
        Connecting();
    }

    public override string PersistenceId => PersistenceIdValue;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GardenConfig config, IGardenGateway gateway, GardenStateStore store, string version) =>
        Akka.Actor.Props.Create(() => new ServerLinkActor(config, gateway, store, version));

    /// <summary>Backoff before attempt <paramref name="attempt"/> (0-based): full jitter under a cap doubling from 0.2 s to 60 s.</summary>
    public static TimeSpan Backoff(int attempt, double random) => GardenLink.Backoff(attempt, random);

    /// <summary>A stable host identifier: SHA-256 of /etc/machine-id (or the host name) and the garden name.</summary>
    public static string HostIdentifier(string gardenName)
    {
        string machine;
        try { machine = File.Exists("/etc/machine-id") ? File.ReadAllText("/etc/machine-id").Trim() : Environment.MachineName; }
        catch (IOException) { machine = Environment.MachineName; }
        catch (UnauthorizedAccessException) { machine = Environment.MachineName; }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machine + "\n" + gardenName)));
    }

    // Connect while the journal recovers; the outcome waits in the stash until recovery ends.
    protected override void PreStart()
    {
        base.PreStart();
        StartAttempt();
    }

    protected override void PostStop()
    {
        _lifetime.Cancel();
        var closing = _session;
        _session = null;
        if (closing is not null) _ = closing.DisposeAsync().AsTask();
        base.PostStop();
    }

    // ---- The connection lifecycle: one behaviour per state -------------------------------------------------------------------

    /// <summary>An attempt (enrol/claim, then open the connection) is in flight for the current generation.</summary>
    private void Connecting()
    {
        Command<ConnectOutcome>(OnConnectOutcome);
        // The server may close the new connection before the attempt's outcome reaches us: remember it, drop the session then.
        Command<SessionClosed>(c => _link = _link.ClosedBeforeOutcome(c.Generation));
        Command<GardenDaemonCommands.ApplyConfig>(a => _config = a.Config);
        Command<GardenDaemonCommands.Reconnect>(OnReconnect);
        Command<Connect>(_ => { });
        Common();
    }

    /// <summary>A session is open: sync, deliver the outbox, answer invokes.</summary>
    private void Connected()
    {
        Command<SessionClosed>(OnSessionLost);
        Command<GardenDaemonCommands.ApplyConfig>(a =>
        {
            _config = a.Config;
            StartSync();
        });
        Command<GardenDaemonCommands.Reconnect>(OnReconnect);
        Command<ConnectOutcome>(DisposeStale);
        Command<Connect>(_ => { });
        Common();
    }

    /// <summary>No connection and none opening: a reconnect timer (backoff or enrollment poll) may be armed.</summary>
    private void Disconnected()
    {
        Command<Connect>(_ => BeginAttempt());
        Command<GardenDaemonCommands.ApplyConfig>(a => _config = a.Config);
        Command<GardenDaemonCommands.Reconnect>(OnReconnect);
        Command<ConnectOutcome>(DisposeStale);
        Command<SessionClosed>(_ => { });
        Common();
    }

    /// <summary>An admin rejected the enrollment: offline until a restart, or a reload asks again (a reconnect request does not).</summary>
    private void Rejected()
    {
        Command<GardenDaemonCommands.ApplyConfig>(a =>
        {
            _config = a.Config;
            BeginAttempt();
        });
        Command<Connect>(_ => BeginAttempt());
        Command<GardenDaemonCommands.Reconnect>(_ => { });
        Command<ConnectOutcome>(DisposeStale);
        Command<SessionClosed>(_ => { });
        Common();
    }

    /// <summary>What every state handles alike: pushes, the outbox, invokes, draining.</summary>
    private void Common()
    {
        Command<PushArrived>(p =>
        {
            if (_link.IsCurrent(p.Generation)) Context.Parent.Tell(new GardenDaemonCommands.PushReceived(p.Name, p.Payload));
        });
        Command<SyncOutcome>(OnSyncOutcome);
        Command<GardenDaemonCommands.SendDurable>(OnSendDurable);
        Command<SendOutcome>(OnSendOutcome);
        Command<Resend>(_ => TrySendNext());
        Command<GardenDaemonCommands.Invoke>(OnInvoke);
        Command<GardenDaemonCommands.Drain>(_ =>
        {
            // A draining garden never connects again; a session it has stays open until the process ends.
            _link = _link.Drained();
            Timers.Cancel(ReconnectTimer);
        });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("Could not trim the outbox journal: {Error}", f.Cause.Message));
    }

    /// <summary>Starts a new attempt (a newer generation) and becomes Connecting; a draining garden stays where it is.</summary>
    private void BeginAttempt()
    {
        if (_link.Draining) return;
        StartAttempt();
        Become(Connecting);
    }

    private void StartAttempt()
    {
        _link = _link.ConnectStarted();
        var gen = _link.Generation;
        var self = Self;
        var cfg = _config;
        ConnectOnce(cfg, gen, self).PipeTo(self);
    }

    private async Task<ConnectOutcome> ConnectOnce(GardenConfig cfg, int gen, IActorRef self)
    {
        try
        {
            var state = _store.Current;
            if (state.Credential is null)
            {
                if (cfg.AccessToken is null)
                {
                    return new ConnectOutcome(gen, null, "no stored garden credential and no enrollment token (access_token)", false);
                }
                var hostId = state.HostIdentifier ?? HostIdentifier(cfg.Name);
                var enrolled = state.PendingEnrollment is { } ticket
                    ? await _gateway.ClaimAsync(cfg, ticket, _lifetime.Token).ConfigureAwait(false)
                    : await _gateway.EnrollAsync(cfg, hostId, _version, _lifetime.Token).ConfigureAwait(false);
                if (enrolled.Credential is null)
                {
                    var first = state.PendingEnrollment is null;
                    _store.Update(s => s with { GardenSid = enrolled.GardenSid, HostIdentifier = hostId, PendingEnrollment = enrolled.Pending });
                    return new ConnectOutcome(gen, null, enrolled.Message, false, first ? LinkWait.Parked : LinkWait.StillPending);
                }
                state = _store.Update(s => s with { GardenSid = enrolled.GardenSid, Credential = enrolled.Credential, HostIdentifier = hostId, PendingEnrollment = null });
            }
            var listener = new Listener(self, gen);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
            timeout.CancelAfter(cfg.Timeouts.ServerReply);
            var opened = await _gateway.ConnectAsync(cfg, state.Credential!, listener, timeout.Token).ConfigureAwait(false);
            return new ConnectOutcome(gen, opened, null, false);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.CredentialRevoked)
        {
            // The credential is unknown or revoked: forget it and enrol again; the server re-binds this garden by host identifier.
            _store.Update(s => s with { Credential = null });
            return new ConnectOutcome(gen, null, $"garden credential rejected ({e.Message}); re-enrolling", true);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.GardenDeleted)
        {
            _store.Update(s => s with { Credential = null, PendingEnrollment = null });
            return new ConnectOutcome(gen, null, e.Message, false, LinkWait.Deleted);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.EnrollmentRejected)
        {
            var enrollment = _store.Current.PendingEnrollment?.EnrollmentSid;
            _store.Update(s => s with { PendingEnrollment = null });
            return new ConnectOutcome(gen, null, e.Message, false, LinkWait.Rejected, enrollment);
        }
        catch (GatewayRejectedException e) when (e.Rejection == GatewayRejection.EnrollmentLapsed)
        {
            _store.Update(s => s with { PendingEnrollment = null });
            return new ConnectOutcome(gen, null, $"the enrollment waiting for approval lapsed ({e.Message}); asking again", false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ConnectOutcome(gen, null, e.Message, false);
        }
    }

    private void OnConnectOutcome(ConnectOutcome outcome)
    {
        var verdict = _link.Decide(outcome.Generation, outcome.Session is not null, outcome.Wait, outcome.RetryNow);
        _link = _link.Apply(verdict);
        switch (verdict)
        {
            case ConnectVerdict.Stale:
                DisposeStale(outcome);
                return;
            case ConnectVerdict.DroppedWhileOpening:
                // The server closed this connection before the join's reply reached us (it kept another of ours): never keep a dead one.
                _log.Warning("The server closed the new connection while it was being opened; connecting again");
                _ = outcome.Session!.DisposeAsync().AsTask();
                ScheduleReconnect();
                return;
            case ConnectVerdict.WaitForAdmin:
                OnEnrollmentWait(outcome);
                return;
            case ConnectVerdict.RetryNow:
                _log.Warning("Connection to {Endpoint} failed: {Error}", _config.Endpoint, outcome.Error);
                // Re-enrol at once the first time; a credential refused again right after goes through the backoff, never a hot loop.
                Become(Disconnected);
                Self.Tell(Connect.Instance);
                return;
            case ConnectVerdict.Backoff:
                _log.Warning("Connection to {Endpoint} failed: {Error}", _config.Endpoint, outcome.Error);
                ScheduleReconnect();
                return;
            case ConnectVerdict.DisposeDraining:
                _ = outcome.Session!.DisposeAsync().AsTask();
                Become(Disconnected);
                return;
        }
        _session = outcome.Session!;
        Become(Connected);
        var sid = _store.Current.GardenSid;
        _log.Info("garden session established sid={GardenSid} connection={ConnectionId}", sid, _session.ConnectionId ?? "?");
        Publish("connected");
        Context.System.EventStream.Publish(new GardenDaemonEvents.ConnectionChanged(true, sid));
        StartSync();
        TrySendNext();
    }

    private static void DisposeStale(ConnectOutcome outcome) => _ = outcome.Session?.DisposeAsync().AsTask();

    /// <summary>
    /// Waiting on an admin: a parked enrollment is polled with a backoff doubling from 2 s to timeouts.enrollment_poll; a deleted
    /// garden is retried every timeouts.enrollment_poll; a rejected one waits for a restart or a reload. Never a hot loop.
    /// </summary>
    private void OnEnrollmentWait(ConnectOutcome outcome)
    {
        var sid = _store.Current.GardenSid ?? "?";
        var enrollment = outcome.Enrollment ?? _store.Current.PendingEnrollment?.EnrollmentSid ?? "?";
        var cap = _config.Timeouts.EffectiveEnrollmentPoll;
        switch (outcome.Wait)
        {
            case LinkWait.Parked:
            case LinkWait.StillPending:
                (_link, var delay, var loud) = _link.EnrollmentPolled(outcome.Wait, cap);
                if (loud)
                {
                    _log.Warning("This host is already enrolled on the server as garden {GardenSid}, and this garden has no valid credential for it (a lost or new " +
                        "state directory, or a revoked credential): enrollment {EnrollmentSid} waits for an admin's approval. An admin approves it with " +
                        "`sower garden enrollments approve {EnrollmentSid}` (or rejects it with `sower garden enrollments reject {EnrollmentSid}`); this garden checks again " +
                        "every {PollSeconds} s at most.", sid, enrollment, enrollment, enrollment, (int)Math.Ceiling(cap.TotalSeconds));
                }
                else
                {
                    _log.Info("Enrollment {EnrollmentSid} still waits for an admin's approval; checking again in {DelaySeconds} s", enrollment, (int)Math.Ceiling(delay.TotalSeconds));
                }
                Publish("waiting for enrollment approval");
                Timers.StartSingleTimer(ReconnectTimer, Connect.Instance, delay);
                Become(Disconnected);
                break;
            case LinkWait.Deleted:
                _log.Error("The server refused this garden: {Error}. It was deleted on the server; until an admin restores it with " +
                    "`sower garden restore {GardenSid}` this garden stays offline and tries again every {PollSeconds} s.",
                    outcome.Error, sid, (int)Math.Ceiling(cap.TotalSeconds));
                Publish("deleted on the server");
                Timers.StartSingleTimer(ReconnectTimer, Connect.Instance, cap);
                Become(Disconnected);
                break;
            case LinkWait.Rejected:
                _log.Error("An admin rejected enrollment {EnrollmentSid} of garden {GardenSid} ({Error}). This garden stays offline; restart sower-garden (or run " +
                    "`sower garden reload`) to ask again.", enrollment, sid, outcome.Error);
                Publish("enrollment rejected");
                Become(Rejected);
                break;
        }
    }

    /// <summary>Disconnected, with the next attempt after a backoff (none while draining).</summary>
    private void ScheduleReconnect()
    {
        Become(Disconnected);
        if (_link.Draining) return;
        (_link, var delay) = _link.BackedOff(Random.Shared.NextDouble());
        Publish($"reconnecting in {Math.Max(1, (int)Math.Round(delay.TotalSeconds))} s");
        Timers.StartSingleTimer(ReconnectTimer, Connect.Instance, delay);
    }

    private void OnSessionLost(SessionClosed closed)
    {
        if (!_link.IsCurrent(closed.Generation)) return;
        _log.Warning("Connection to the server lost: {Error}", closed.Error?.Message ?? "closed");
        CloseSession();
        ScheduleReconnect();
    }

    private void CloseSession()
    {
        var old = _session;
        _session = null;
        _outbox = _outbox.Released();
        if (old is not null) _ = old.DisposeAsync().AsTask();
        Context.System.EventStream.Publish(new GardenDaemonEvents.ConnectionChanged(false, _store.Current.GardenSid));
    }

    /// <summary>A new connection on request: whatever the current one proves, it was made before the switch.</summary>
    private void OnReconnect(GardenDaemonCommands.Reconnect reconnect)
    {
        if (_link.Draining) return;
        _log.Info("Reconnecting to the server: {Reason}", reconnect.Reason);
        Timers.Cancel(ReconnectTimer);
        if (_session is not null) CloseSession();
        // A connect in progress belongs to the old generation: its outcome is discarded when it arrives.
        BeginAttempt();
    }

    private void StartSync()
    {
        var current = _session;
        if (current is null) return;
        var cfg = _config;
        var sync = new SubscriptionsSyncMessage(
            new JsonArray(cfg.Subscriptions.Select(s => (JsonNode?)SubscriptionJson.ToJson(s)).ToArray()),
            // The garden's own labels (issue 14.1) travel with every sync, so removing one from the file removes it on the server.
            new JsonObject(cfg.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))));
        var gen = _link.Generation;
        InvokeWithTimeout(current, GatewayProtocol.SubscriptionsSync, GatewayRequests.ToPayload(sync), cfg.Timeouts.ServerReply)
            .ContinueWith(t => new SyncOutcome(gen, cfg, t.IsCompletedSuccessfully ? t.Result : TransportError(t)),
                TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnSyncOutcome(SyncOutcome outcome)
    {
        if (!_link.IsCurrent(outcome.Generation)) return;
        if (!outcome.Reply.Ok)
        {
            // Keep the previously stored subscriptions and cron jobs (pitfall 33); retry on the next connection or reload.
            _log.Error("Subscription sync failed: {ErrorCode} {ErrorMessage}; keeping the previously synced subscriptions", outcome.Reply.ErrorCode, outcome.Reply.ErrorMessage);
            return;
        }
        if (GardenLink.Synced(outcome.Config.Subscriptions, outcome.Reply.Body) is not { } synced)
        {
            _log.Error("Subscription sync failed: the reply holds no subscription list");
            return;
        }
        _store.Update(s => s with { Subscriptions = synced });
        _log.Info("Synced {SubscriptionCount} subscription(s)", synced.Length);
        Context.Parent.Tell(new GardenDaemonCommands.SubscriptionsSynced(synced));
        // The host follows with the profiles report, the version report and poll-on-connect, in that order (§5.5).
        Context.Parent.Tell(new GardenDaemonCommands.SessionReady(_store.Current.GardenSid));
    }

    private void OnSendDurable(GardenDaemonCommands.SendDurable send)
    {
        // Persist holds back later commands until this is journaled, so the next send sees the next sequence number.
        var entry = new GardenJournalEvents.OutboxMessageAppended(_outbox.NextSeq, send.Message);
        Persist(entry, e =>
        {
            _outbox = _outbox.Appended(e.Seq, OutboxItem.Of(e.Message));
            if (send.NotifyDelivered is not null) _notify[e.Seq] = (send.NotifyDelivered, send.Tag);
            TrySendNext();
        });
    }

    private void TrySendNext()
    {
        if (_session is null || _outbox.Next() is not (var sending, var seq, var entry)) return;
        _outbox = sending;
        var gen = _link.Generation;
        InvokeWithTimeout(_session, entry.Method, entry.Payload(), _config.Timeouts.ServerReply)
            .ContinueWith(t => new SendOutcome(gen, seq, t.IsCompletedSuccessfully ? t.Result : null, t.Exception?.GetBaseException().Message), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnSendOutcome(SendOutcome outcome)
    {
        if (!_link.IsCurrent(outcome.Generation) || !_outbox.Awaits(outcome.Seq)) return;
        var verdict = GardenOutbox.Judge(outcome.Reply);
        if (verdict == OutboxVerdict.Retry)
        {
            // Transport error or timeout: retry while connected; a disconnect resends after the next session.
            _outbox = _outbox.Released();
            _log.Warning("Sending outbox message {OutboxSeq} failed: {Error}; retrying", outcome.Seq, outcome.Error ?? outcome.Reply?.ErrorCode);
            Timers.StartSingleTimer(ResendTimer, Resend.Instance, TimeSpan.FromSeconds(1));
            return;
        }
        if (verdict == OutboxVerdict.Refused && _outbox.Pending.TryGetValue(outcome.Seq, out var rejected))
        {
            _log.Warning("The server refused {Method}: {ErrorCode} {ErrorMessage}", rejected.Method, outcome.Reply?.ErrorCode, outcome.Reply?.ErrorMessage);
        }
        Persist(new GardenJournalEvents.OutboxDelivered(outcome.Seq), e =>
        {
            _outbox = _outbox.Delivered(e.Seq);
            if (_notify.Remove(e.Seq, out var target)) target.Target.Tell(new GardenDaemonCommands.DurableDelivered(target.Tag));
            if (_outbox.Pending.IsEmpty && LastSequenceNr > 200) DeleteMessages(LastSequenceNr);
            TrySendNext();
        });
    }

    private void OnInvoke(GardenDaemonCommands.Invoke invoke)
    {
        var sender = Sender;
        if (_session is null)
        {
            sender.Tell(new GardenDaemonCommands.InvokeResult(GatewayReply.Failure(NotConnected, AdminProtocol.NotConnected), invoke.Correlation));
            return;
        }
        InvokeWithTimeout(_session, GatewayRequests.MethodOf(invoke.Message), GatewayRequests.ToPayload(invoke.Message), _config.Timeouts.ServerReply)
            .ContinueWith(t => new GardenDaemonCommands.InvokeResult(t.IsCompletedSuccessfully ? t.Result : TransportError(t), invoke.Correlation), TaskScheduler.Default)
            .PipeTo(sender);
    }

    private async Task<GatewayReply> InvokeWithTimeout(IGatewaySession target, string method, JsonObject payload, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        cts.CancelAfter(timeout);
        return await target.InvokeAsync(method, payload, cts.Token).ConfigureAwait(false);
    }

    private static GatewayReply TransportError(Task task) =>
        GatewayReply.Failure(TransportErrorCode, task.Exception?.GetBaseException().Message ?? "timed out");

    private void Publish(string status) => Context.System.EventStream.Publish(new GardenDaemonEvents.StatusChanged(status));

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

    private sealed record SessionClosed(int Generation, Exception? Error);

    private sealed record PushArrived(int Generation, string Name, JsonNode? Payload);

    // Calls still in flight when the link stops answer a dead actor (expected at shutdown): dead-letter-suppressed.
    private sealed record SyncOutcome(int Generation, GardenConfig Config, GatewayReply Reply) : IDeadLetterSuppression;

    private sealed record SendOutcome(int Generation, long Seq, GatewayReply? Reply, string? Error) : IDeadLetterSuppression;
}
