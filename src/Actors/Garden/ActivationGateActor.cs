using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;


namespace Sower.Actors.Garden;

/// <summary>Messages of the garden's activation gate (issue 14.3/14.4).</summary>
public static class ActivationGate
{
    /// <summary>From a deployment: may this activation go ahead? <paramref name="NeedsLease"/> for a NixOS restart.
    /// Answered with <see cref="Waiting"/> (any number of times) and finally <see cref="Cleared"/>.</summary>
    public sealed record Request(string DeploymentSid, SeedExecution.ActivationStarting Starting, string Artifact, bool NeedsLease);

    public sealed record Cleared(SeedExecution.ActivationStarting Starting);

    /// <summary>Why the activation waits, for the seed's deployment log.</summary>
    public sealed record Waiting(string SeedSid, string Text);

    /// <summary>From a deployment that finished: without a reboot to come, its lease (if any) goes back at once.</summary>
    public sealed record DeploymentEnded(string DeploymentSid, bool RebootRequested);

    /// <summary>A reloaded configuration's inhibit settings.</summary>
    public sealed record Configure(InhibitSettings Settings);

    public sealed record GetState
    {
        public static readonly GetState Instance = new();
    }

    /// <summary>The gate's state for the admin socket and tests.</summary>
    public sealed record State(string? InhibitedBecause, string? LeaseDeployment, int Waiting);

    /// <summary>The lease this host holds, kept in the state directory so it is released after the reboot it was for.</summary>
    public sealed record HeldLease(string DeploymentSid, string System);
}

/// <summary>
/// Holds activations of this garden until the host allows them (issue 14.4: inhibit file or command, polled every few
/// seconds) and, for a NixOS restart, until the server granted a reboot lease for the garden's group (issue 14.3, retried
/// with backoff). Staging is never gated. The lease is released when the deployment ends without a reboot, or, after the
/// reboot, once a new connection runs on the deployed system (booted-system == the deployed system).
/// </summary>
public sealed class ActivationGateActor : ReceiveActor, IWithTimers
{
    public const string LeaseFileName = "reboot-lease.json";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(60);

    private readonly IActorRef _link;
    private readonly ProfileRoots _roots;
    private readonly string _leaseFile;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private InhibitSettings _settings;
    private string? _inhibited;
    private bool _checking;
    private bool _recheck;
    private bool _releasing;
    private bool _connected;
    private ActivationGate.HeldLease? _held;

    public ActivationGateActor(InhibitSettings settings, IActorRef link, ProfileRoots roots, string stateDirectory)
    {
        _settings = settings;
        _link = link;
        _roots = roots;
        _leaseFile = Path.Combine(stateDirectory, LeaseFileName);
        _held = ReadLease();

        Receive<ActivationGate.Request>(r =>
        {
            _pending[r.Starting.SeedSid] = new Pending(r, Sender, null, false, true, FirstRetry);
            Check(); // a fresh look at the host before every decision
        });
        Receive<Poll>(_ => Check());
        Receive<RetryDue>(d =>
        {
            if (_pending.TryGetValue(d.SeedSid, out var p)) _pending[d.SeedSid] = p with { Due = true };
            Evaluate();
        });
        Receive<Checked>(OnChecked);
        Receive<GardenDaemonCommands.InvokeResult>(r => r.Correlation is Acquiring a, r => OnAcquired((Acquiring)r.Correlation!, r.Reply));
        Receive<GardenDaemonCommands.InvokeResult>(r => r.Correlation is Releasing, r => OnReleased(r.Reply));
        Receive<ActivationGate.DeploymentEnded>(OnDeploymentEnded);
        Receive<GardenDaemonEvents.ConnectionChanged>(c =>
        {
            _connected = c.Connected;
            if (c.Connected) { ReleaseAfterBoot(); Evaluate(); }
        });
        Receive<ActivationGate.Configure>(c =>
        {
            settings = c.Settings;
            Timers.StartPeriodicTimer("poll", Poll.Instance, settings.PollInterval);
            Check();
        });
        Receive<ActivationGate.GetState>(_ => Sender.Tell(new ActivationGate.State(_inhibited, _held?.DeploymentSid, _pending.Count)));
        Receive<GardenDaemonCommands.DurableDelivered>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(InhibitSettings settings, IActorRef link, ProfileRoots roots, string stateDirectory) =>
        Akka.Actor.Props.Create(() => new ActivationGateActor(settings, link, roots, stateDirectory));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(GardenDaemonEvents.ConnectionChanged));
        Timers.StartPeriodicTimer("poll", Poll.Instance, _settings.PollInterval);
        Self.Tell(Poll.Instance);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    /// <summary>After every message: the metrics hear when inhibition or the wait for the reboot lock changed.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        var state = new GardenMetricsEvents.GateChanged(_inhibited is not null, _inhibited is null && _pending.Values.Any(p => p.Request.NeedsLease));
        if (state != _publishedState) Context.System.EventStream.Publish(_publishedState = state);
        return handled;
    }

    private GardenMetricsEvents.GateChanged? _publishedState;

    private void Check()
    {
        if (_checking) { _recheck = true; return; }
        _checking = true;
        InhibitionProbe.CheckAsync(_settings, _lifetime.Token)
            .ContinueWith(t => new Checked(t.IsCompletedSuccessfully ? t.Result : $"inhibit check failed: {t.Exception?.GetBaseException().Message}"), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnChecked(Checked c)
    {
        _checking = false;
        if (c.Reason != _inhibited)
        {
            if (c.Reason is null) _log.Info("No longer inhibited (was: {Reason})", _inhibited);
            else _log.Info("Inhibited: {Reason}", c.Reason);
            _inhibited = c.Reason;
            _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.Inhibition(_inhibited)));
        }
        if (_recheck) { _recheck = false; Check(); return; }
        ReleaseAfterBoot();
        Evaluate();
    }

    private void Evaluate()
    {
        if (_checking) return;
        foreach (var (seedSid, p) in _pending.ToList())
        {
            if (_inhibited is { } reason)
            {
                Tell(seedSid, p, $"deferred: {reason}; waiting for the inhibition to end");
                continue;
            }
            if (!p.Request.NeedsLease || _held?.DeploymentSid == p.Request.DeploymentSid)
            {
                _pending.Remove(seedSid);
                p.ReplyTo.Tell(new ActivationGate.Cleared(p.Request.Starting));
                continue;
            }
            if (p.Asking || !p.Due) continue;
            if (!_connected)
            {
                Tell(seedSid, p, "waiting for the reboot lock: not connected to the server");
                continue;
            }
            _pending[seedSid] = p with { Asking = true };
            _link.Tell(new GardenDaemonCommands.Invoke(GatewayRequests.AcquireRebootLock(p.Request.DeploymentSid), new Acquiring(seedSid)), Self);
        }
    }

    private void OnAcquired(Acquiring a, GatewayReply reply)
    {
        if (!_pending.TryGetValue(a.SeedSid, out var p)) return;
        var body = reply.Ok ? reply.Body?.Deserialize<RebootLockAcquireReply>(GatewayProtocol.Json) : null;
        if (body is { Granted: true })
        {
            _held = new ActivationGate.HeldLease(p.Request.DeploymentSid, p.Request.Artifact);
            WriteLease(_held);
            _log.Info("Reboot lock granted for {DeploymentId} (group {Group}, until {ExpiresAt})", p.Request.DeploymentSid, body.Group, body.ExpiresAt);
            Tell(a.SeedSid, p, $"reboot lock granted (group {body.Group}, until {body.ExpiresAt})");
            _pending.Remove(a.SeedSid);
            p.ReplyTo.Tell(new ActivationGate.Cleared(p.Request.Starting));
            return;
        }
        var text = body?.Text ?? $"waiting for the reboot lock: {reply.ErrorMessage ?? "no answer from the server"}";
        var delay = p.Delay;
        _pending[a.SeedSid] = p with { Asking = false, Due = false, Delay = Min(delay * 2, MaxRetry) };
        Tell(a.SeedSid, _pending[a.SeedSid], text);
        Timers.StartSingleTimer("retry-" + a.SeedSid, new RetryDue(a.SeedSid), delay);
    }

    private void OnDeploymentEnded(ActivationGate.DeploymentEnded ended)
    {
        foreach (var (seedSid, p) in _pending.Where(kv => kv.Value.Request.DeploymentSid == ended.DeploymentSid).ToList()) _pending.Remove(seedSid);
        if (ended.RebootRequested || _held?.DeploymentSid != ended.DeploymentSid) return;
        _log.Info("Deployment {DeploymentId} ended without a reboot: releasing its reboot lock", ended.DeploymentSid);
        _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.RebootLockNotNeeded(ended.DeploymentSid)));
        _held = null;
        DeleteLease();
    }

    /// <summary>After the reboot the lease was for: the host runs the deployed system, so a new connection gives it back.</summary>
    private void ReleaseAfterBoot()
    {
        if (_held is not { } lease || _releasing || !_connected) return;
        var booted = SymlinkResolver.Canonicalize(_roots.BootedSystem, out _);
        var deployed = SymlinkResolver.Canonicalize(lease.System, out _) ?? lease.System;
        if (booted is null || booted != deployed) return;
        _releasing = true;
        _link.Tell(new GardenDaemonCommands.Invoke(GatewayRequests.RebootLockBooted(lease.DeploymentSid), new Releasing()), Self);
    }

    private void OnReleased(GatewayReply reply)
    {
        _releasing = false;
        // Released, or the server no longer has it (expired, force-released): either way it is not ours any more.
        if (reply.Ok || reply.ErrorCode == GatewayErrors.NotLeaseHolder)
        {
            _log.Info("Booted the deployed system: reboot lock for {DeploymentId} released", _held?.DeploymentSid);
            _held = null;
            DeleteLease();
        }
    }

    private void Tell(string seedSid, Pending p, string text)
    {
        if (p.LastText == text) return;
        _pending[seedSid] = p with { LastText = text };
        p.ReplyTo.Tell(new ActivationGate.Waiting(seedSid, text));
    }

    private ActivationGate.HeldLease? ReadLease()
    {
        try
        {
            return File.Exists(_leaseFile) ? JsonSerializer.Deserialize<ActivationGate.HeldLease>(File.ReadAllText(_leaseFile)) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            _log.Warning("Ignoring unreadable {File}: {Error}", _leaseFile, e.Message);
            return null;
        }
    }

    private void WriteLease(ActivationGate.HeldLease lease)
    {
        try
        {
            var temp = _leaseFile + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(lease));
            File.Move(temp, _leaseFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lease still expires on the server; only the early release after the reboot is lost.
            _log.Warning("Could not record the reboot lease in {File}: {Error}", _leaseFile, e.Message);
        }
    }

    private void DeleteLease()
    {
        try { File.Delete(_leaseFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log.Warning("Could not remove {File}: {Error}", _leaseFile, e.Message); }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed record Pending(ActivationGate.Request Request, IActorRef ReplyTo, string? LastText, bool Asking, bool Due, TimeSpan Delay);

    private sealed record RetryDue(string SeedSid);

    private sealed record Acquiring(string SeedSid);

    private sealed record Releasing;

    // A check still running when the actor stops answers a dead actor: expected at shutdown, so no dead-letter noise.
    private sealed record Checked(string? Reason) : IDeadLetterSuppression;

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }
}
