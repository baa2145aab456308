using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using SeedDeploymentState = Sower.Messages.Deployments.SeedDeploymentState;

namespace Sower.Actors.Garden;

public static class GardenDeploymentCommands
{
    /// <summary>To the deployer: the deployment finished and its result is in the outbox.</summary>
    public sealed record Finished(string DeploymentSid, string? RequestId, string Result, string DeployedAt);

    public sealed record AcquireProfile(string Key);

    public sealed record ProfileGranted(string Key);

    public sealed record ReleaseProfile(string Key);
}

/// <summary>
/// One deployment on this garden (REFERENCE §5.10–§5.12), persisted so a restart neither loses nor repeats work: an activation
/// is recorded before the activator is asked, and a seed whose activation was interrupted by a restart is never activated
/// again: its result is read back from the profile (<see cref="ActivationReconciler"/>), watching it for a bounded time
/// because the activator finishes the work without the garden (§7.6). Stage-only work is idempotent and simply runs again.
/// </summary>
public sealed partial class GardenDeploymentActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>How often the profile of an interrupted activation is looked at again while the activator may still run it.</summary>
    public static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(1);

    private readonly GardenDeployment _push;
    private readonly IActorRef _link;
    private readonly IActorRef _activator;
    private readonly IActorRef _deployer;
    private readonly GardenStateStore _store;
    private readonly IClock _clock;
    private readonly SeedExecution.Settings _settings;
    private readonly int _parallelism;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // What is journaled (activations started, seeds finished, live switch, armed seeds, confirmation, completion), the profile
    // locks, the run's bookkeeping (waiting, running, read back, executed, reboot, live switch) and the rollback confirmation's.
    private GardenDeploymentState _state = GardenDeploymentState.Empty;
    private ProfileLocks _locks = ProfileLocks.None;
    private GardenDeploymentRun _run = GardenDeploymentRun.Empty;
    private RollbackConfirmationRun _confirmation = RollbackConfirmationRun.Empty;

    public GardenDeploymentActor(GardenDeployment push, IActorRef link, IActorRef activator, IActorRef deployer, GardenStateStore store, IClock clock,
        SeedExecution.Settings settings, int parallelism)
    {
        _push = push;
        _link = link;
        _activator = activator;
        _deployer = deployer;
        _store = store;
        _clock = clock;
        _settings = settings;
        _parallelism = parallelism;

        Recover<IGardenJournalEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => Self.Tell(Start.Instance));

        Command<Start>(_ => OnStart());
        Command<SeedExecution.StatusChanged>(s =>
            link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedStatus(push.Sid, s.SeedSid, s.Status))));
        Command<SeedExecution.LogChunk>(c =>
            link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedLog(push.Sid, c.SeedSid, c.Log))));
        Command<SeedExecution.ActivationStarting>(s =>
        {
            // Inhibition and the reboot lock hold the activation here (ActivationGateActor); staging went on before.
            if (settings.Gate is { } gate) gate.Tell(ActivationGateRequest(s));
            else OnActivationStarting(s);
        });
        Command<ActivationGate.Cleared>(c => OnActivationStarting(c.Starting));
        Command<ActivationGate.Waiting>(w => link.Tell(new GardenDaemonCommands.SendDurable(
            GatewayRequests.SeedLog(push.Sid, w.SeedSid, LogLines.Garden(clock.GetCurrentInstant(), w.Text) + "\n"))));
        Command<GardenDeploymentCommands.ProfileGranted>(OnProfileGranted);
        Command<ReconcileAgain>(r => Reconcile(r.SeedSid));
        Command<LiveSwitchCheck>(OnLiveSwitchCheck);
        Command<SeedExecution.Done>(OnSeedDone);
        Command<ActivatorCommands.Output>(OnRollbackOutput);
        Command<ActivatorCommands.Finished>(f =>
        {
            if (!OnRollbackFinished(f)) OnLiveSwitchFinished(f);
        });
        Command<GardenDaemonEvents.ConnectionChanged>(OnConnectionChanged);
        Command<RetryConfirm>(_ => SendConfirm());
        Command<GardenDaemonCommands.DurableDelivered>(d =>
        {
            if (d.Tag != "result") return;
            if (_run.RebootReason is { } reason)
            {
                // The result is with the server: only now ask for the reboot (pitfall 30).
                _log.Info("Requesting reboot: {Reason}", reason);
                activator.Tell(new ActivatorCommands.Run(ActivatorRequest.Reboot(Sid.New("act"), reason), ActorRefs.Nobody, settings.Timeouts.Activation));
            }
            Context.Stop(Self);
        });
    }

    public override string PersistenceId => "garden-deployment-" + _push.Sid;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GardenDeployment push, IActorRef link, IActorRef activator, IActorRef deployer, GardenStateStore store, IClock clock,
        SeedExecution.Settings settings, int parallelism) =>
        Akka.Actor.Props.Create(() => new GardenDeploymentActor(push, link, activator, deployer, store, clock, settings, parallelism));

    protected override void PostStop()
    {
        foreach (var key in _locks.HeldBySeed.Values) _deployer.Tell(new GardenDeploymentCommands.ReleaseProfile(key));
        // A finished deployment stops while connections keep changing: leave the event stream now, not when it notices the stop.
        if (_watchingConnections) Context.System.EventStream.Unsubscribe(Self);
        base.PostStop();
    }

    private void OnStart()
    {
        if (_state.Completed is { } completed)
        {
            SendResult(completed.Result, completed.DeployedAt);
            return;
        }
        if (ResumesRollbackWork()) return;
        if (LastSequenceNr == 0)
        {
            _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.Acknowledged(_push.Sid)));
        }
        var subs = _store.Current.Subscriptions ?? [];
        var now = _clock.GetCurrentInstant();
        var toRecord = new List<GardenJournalEvents.SeedFinished>();
        foreach (var item in _push.Seeds)
        {
            if (_state.Finished.ContainsKey(item.Seed.Sid)) continue;
            var sub = subs.FirstOrDefault(s => s.Sid == item.SubscriptionSid);
            if (_state.ActivationsStarted.TryGetValue(item.Seed.Sid, out var started))
            {
                // The process stopped while the activator was working on this seed: never activate it twice; read the
                // outcome back from the profile, under the profile lock so no other activation of it interleaves.
                var action = PolicyActions.TryParse(started.Action, out var a) ? a : PolicyAction.Activate;
                var user = started.User ?? SeedExecution.TargetUser(item.Seed, sub?.Spec, _settings.GardenUser);
                var key = SeedExecution.ProfileKey(item.Seed, user);
                _run = _run.ReadBack(item, action, user);
                _log.Info("Reading the outcome of the interrupted activation of {SeedName} ({SeedType}) from its profile", item.Seed.Name, item.Seed.SeedTypeWire);
                _locks = _locks.Want(key, item.Seed.Sid);
                _deployer.Tell(new GardenDeploymentCommands.AcquireProfile(key));
                continue;
            }
            var driftHold = sub is not null && item.Seed.SeedType is not null
                ? DriftGuard.Check(_store, _settings.Roots, now, _push.Trigger, item.Seed, Context.System.EventStream)
                : null;
            var admission = SeedAdmission.Decide(item, sub?.Spec, driftHold, _push.Trigger, _push.Approved, now);
            if (admission.Allowed is { } allowed)
            {
                _run = _run.Admit(item, allowed);
                continue;
            }
            if (admission.DriftHeld) _log.Warning("{Line}", admission.Skipped);
            toRecord.Add(new(item.Seed.Sid, "skipped", "none", LogLines.Garden(now, admission.Skipped!) + "\n"));
        }
        if (toRecord.Count > 0)
        {
            PersistAll(toRecord, e => RecordFinished(e));
            DeferAsync(Continue.Instance, _ => StartMore());
        }
        else
        {
            StartMore();
        }
    }

    private void RecordFinished(GardenJournalEvents.SeedFinished e)
    {
        _state = _state.Apply(e);
        _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedResult(_push.Sid, e.SeedSid, e.Result, e.Action, e.Log)));
    }

    private void StartMore()
    {
        (_run, var start) = _run.StartMore(_parallelism);
        foreach (var (item, allowed) in start)
        {
            Context.ActorOf(SeedExecutionActor.Props(item, allowed, _activator, _store, _clock, _settings, _push.Sid), SeedChildName(item.Seed.Sid));
            Context.System.EventStream.Publish(new DeployerEvents.SeedPending(item.SubscriptionSid, item.Seed.Sid, item.Seed.Artifact));
        }
        if (_run.AllSeedsDone) AllSeedsDone();
    }

    private static string SeedChildName(string seedSid) => "seed-" + seedSid;

    private void OnActivationStarting(SeedExecution.ActivationStarting starting)
    {
        _locks = _locks.Want(starting.ProfileKey, starting.SeedSid);
        Persist(new GardenJournalEvents.ActivationStarted(starting.SeedSid, starting.Action.ToWire(), starting.User), e =>
        {
            _state = _state.Apply(e);
            _deployer.Tell(new GardenDeploymentCommands.AcquireProfile(starting.ProfileKey));
        });
    }

    private ActivationGate.Request ActivationGateRequest(SeedExecution.ActivationStarting s)
    {
        var seed = _push.Seeds.First(x => x.Seed.Sid == s.SeedSid).Seed;
        return new ActivationGate.Request(_push.Sid, s, seed.Artifact, seed.SeedType == SeedType.NixOS && s.Action == PolicyAction.Restart);
    }

    private void OnProfileGranted(GardenDeploymentCommands.ProfileGranted granted)
    {
        (_locks, var seedSid) = _locks.Granted(granted.Key);
        if (seedSid is not null && _run.Running.Contains(seedSid))
        {
            _locks = _locks.Hold(seedSid, granted.Key);
            Context.Child(SeedChildName(seedSid)).Tell(SeedExecution.Proceed.Instance);
        }
        else if (seedSid is not null && _run.Reconciling.ContainsKey(seedSid))
        {
            _locks = _locks.Hold(seedSid, granted.Key);
            Reconcile(seedSid);
        }
        else
        {
            _deployer.Tell(new GardenDeploymentCommands.ReleaseProfile(granted.Key));
        }
    }

    private void OnSeedDone(SeedExecution.Done done)
    {
        _run = _run.SeedDone(done.SeedSid, done.Executed);
        (_locks, var releasing) = _locks.Release(done.SeedSid);
        if (releasing is { } key) _deployer.Tell(new GardenDeploymentCommands.ReleaseProfile(key));
        var item = _push.Seeds.First(s => s.Seed.Sid == done.SeedSid);
        if (done.Result == "success") Context.System.EventStream.Publish(new DeployerEvents.SeedApplied(item.SubscriptionSid, done.SeedSid, item.Seed.Artifact));
        if (done.Result == "success" && done.RollbackArmed) Persist(new GardenJournalEvents.RollbackArmed(done.SeedSid), e => _state = _state.Apply(e));
        Persist(new GardenJournalEvents.SeedFinished(done.SeedSid, done.Result, done.Action, done.Log), e =>
        {
            RecordFinished(e);
            StartMore();
        });
    }

    /// <summary>Looks at the profile of an interrupted activation; decides, or looks again in a second until the wait runs out.</summary>
    private void Reconcile(string seedSid)
    {
        if (!_run.Reconciling.TryGetValue(seedSid, out var r)) return;
        var seed = r.Item.Seed;
        // A services activation always carries the complete set: the other subscriptions' active seeds plus this one (§7.4).
        var services = seed.SeedType == SeedType.Service
            ? _store.Current.Services.Where(kv => kv.Key != r.Item.SubscriptionSid).Select(kv => kv.Value.Path).Append(seed.Artifact).ToList()
            : null;
        var outcome = BootInstallReconciler.Adjust(ActivationReconciler.Check(seed, r.Action, r.User, _settings.Roots, services), seed, _settings.Roots,
            HostConditionStore.For(_store), _clock.GetCurrentInstant(), Context.System.EventStream);
        var judgement = InterruptedActivation.Judge(outcome, $"{seed.Name} ({seed.SeedTypeWire})", r.Looks, _settings.Timeouts.EffectiveReconcile, ReconcileInterval);
        if (judgement.LookAgain)
        {
            _run = _run.LookedAgain(seedSid);
            Timers.StartSingleTimer("reconcile-" + seedSid, new ReconcileAgain(seedSid), ReconcileInterval);
            return;
        }
        var result = judgement.Result!;
        var text = judgement.Text!;
        _run = _run.ReadBackDone(seedSid, succeeded: result == "success");
        (_locks, var releasing) = _locks.Release(seedSid);
        if (releasing is { } key) _deployer.Tell(new GardenDeploymentCommands.ReleaseProfile(key));
        if (result == "success")
        {
            _log.Info("{Line}", text);
            if (seed.SeedType == SeedType.Service)
            {
                _store.Update(s => s with { ActiveServices = s.Services.SetItem(r.Item.SubscriptionSid, new ServiceSeed(seed.Name, seed.Artifact)) });
            }
            _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedStatus(_push.Sid, seedSid, SeedDeploymentState.Completed)));
            Context.System.EventStream.Publish(new DeployerEvents.SeedApplied(r.Item.SubscriptionSid, seedSid, seed.Artifact));
        }
        else
        {
            _log.Warning("{Line}", text);
        }
        var now = _clock.GetCurrentInstant();
        if (result == "success" && _confirmation.ArmedAtRecovery) Persist(new GardenJournalEvents.RollbackArmed(seedSid), e => _state = _state.Apply(e));
        Persist(new GardenJournalEvents.SeedFinished(seedSid, result, r.Action.ToWire(), LogLines.Garden(now, text) + "\n"), e =>
        {
            RecordFinished(e);
            StartMore();
        });
    }

    private void AllSeedsDone()
    {
        if (_state.Completed is not null || _run.LiveSwitch is not null) return;
        if (_state.LiveSwitch is { } liveSwitchStarted)
        {
            // The garden restarted during the live switch: never run it again; watch the running system instead.
            _run = _run with { LiveSwitch = new(GardenDeploymentRun.Interrupted, liveSwitchStarted.SeedSid) };
            Self.Tell(new LiveSwitchCheck(0));
            return;
        }
        var provisional = _state.Result(_push.Seeds.Select(s => s.Seed.Sid));
        var restarted = _run.Restarted(_push.Seeds);
        if (restarted is not null)
        {
            var decision = RebootDecider.Decide(provisional, _settings.Roots);
            var now = _clock.GetCurrentInstant();
            var text = string.Concat(decision.Lines.Select(l => LogLines.Garden(now, l) + "\n"));
            foreach (var line in decision.Lines)
            {
                if (decision.CheckFailed) _log.Warning("{Line}", line);
                else _log.Info("{Line}", line);
            }
            _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedLog(_push.Sid, restarted.Seed.Sid, text)));
            _run = _run with { RebootReason = decision.Reason };
            if (decision.SwitchLive && decision.NewSystem is { } newSystem)
            {
                var request = Sid.New("act");
                _run = _run with { LiveSwitch = new(request, restarted.Seed.Sid) };
                Persist(new GardenJournalEvents.LiveSwitchStarted(restarted.Seed.Sid, newSystem), e =>
                {
                    _state = _state.Apply(e);
                    _activator.Tell(new ActivatorCommands.Run(LiveSwitchWithDeadline(ActivatorRequest.NixOS(request, newSystem, "switch"), restarted), Self, _settings.Timeouts.Activation));
                });
                return;
            }
            if (decision.CheckFailed) provisional = Sower.Messages.Deployments.DeploymentWire.ToWire(Sower.Messages.Deployments.DeploymentResult.Warning);
        }
        Complete(provisional);
    }

    private void OnLiveSwitchFinished(ActivatorCommands.Finished f)
    {
        if (_run.LiveSwitch is not { } liveSwitch || f.RequestId != liveSwitch.RequestId) return;
        if (f.ExitCode == 0) { Complete(_state.Result(_push.Seeds.Select(s => s.Seed.Sid))); return; }
        var now = _clock.GetCurrentInstant();
        var failure = new GardenJournalEvents.SeedFinished(liveSwitch.SeedSid, "failure", "restart",
            LogLines.Garden(now, $"live switch failed: {f.Error ?? $"exit code {f.ExitCode}"}") + "\n");
        Persist(failure, e =>
        {
            RecordFinished(e);
            _run = _run with { RebootReason = null };
            Complete(_state.Result(_push.Seeds.Select(s => s.Seed.Sid)));
        });
    }

    /// <summary>A live switch interrupted by a restart: done once the running system is the new one; failed when the wait runs out.</summary>
    private void OnLiveSwitchCheck(LiveSwitchCheck check)
    {
        if (_state.LiveSwitch is not { } started || _state.Completed is not null) return;
        var current = SymlinkResolver.Canonicalize(_settings.Roots.CurrentSystem, out var error);
        var now = _clock.GetCurrentInstant();
        if (current == started.NewSystem)
        {
            var text = $"live switch to {started.NewSystem} was interrupted by a garden restart; reconciled from {_settings.Roots.CurrentSystem}, which runs it";
            _log.Info("{Line}", text);
            _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedLog(_push.Sid, started.SeedSid, LogLines.Garden(now, text) + "\n")));
            Complete(_state.Result(_push.Seeds.Select(s => s.Seed.Sid)));
            return;
        }
        var wait = _settings.Timeouts.EffectiveReconcile;
        if (check.Attempts < InterruptedActivation.Looks(wait, ReconcileInterval))
        {
            Timers.StartSingleTimer("live-switch", new LiveSwitchCheck(check.Attempts + 1), ReconcileInterval);
            return;
        }
        var failure = new GardenJournalEvents.SeedFinished(started.SeedSid, "failure", "restart", LogLines.Garden(now,
            $"live switch to {started.NewSystem} was interrupted by a garden restart and did not take effect within {wait.TotalSeconds:0}s: " +
            $"{_settings.Roots.CurrentSystem} points at {current ?? $"nothing ({error})"}; it is not repeated") + "\n");
        Persist(failure, e =>
        {
            RecordFinished(e);
            Complete(_state.Result(_push.Seeds.Select(s => s.Seed.Sid)));
        });
    }

    private void Complete(string result)
    {
        if (AwaitsConfirmation(result)) return;
        var deployedAt = InstantPattern.ExtendedIso.Format(_clock.GetCurrentInstant());
        Persist(new GardenJournalEvents.DeploymentCompleted(result, deployedAt), e =>
        {
            _state = _state.Apply(e);
            Context.System.EventStream.Publish(EndedForMetrics(e.Result));
            SendResult(e.Result, e.DeployedAt);
        });
    }

    private void SendResult(string result, string deployedAt)
    {
        _log.Info("Deployment {DeploymentId} finished: {Result}", _push.Sid, result);
        // Only a pending reboot waits for the server to have the result (pitfall 30); otherwise the outbox carries it on.
        _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.DeploymentResult(_push.RequestId, _push.Sid, result, deployedAt),
            _run.RebootReason is null ? null : Self, "result"));
        _deployer.Tell(new GardenDeploymentCommands.Finished(_push.Sid, _push.RequestId, result, deployedAt));
        _settings.Gate?.Tell(new ActivationGate.DeploymentEnded(_push.Sid, _run.RebootReason is not null));
        if (_run.RebootReason is null) Context.Stop(Self);
    }

    private sealed class Start
    {
        public static readonly Start Instance = new();
    }

    private sealed class Continue
    {
        public static readonly Continue Instance = new();
    }

    private sealed record ReconcileAgain(string SeedSid);

    private sealed record LiveSwitchCheck(int Attempts);
}

public static class DeployerEvents
{
    public sealed record SeedPending(string SubscriptionSid, string SeedSid, string Artifact);

    public sealed record SeedApplied(string SubscriptionSid, string SeedSid, string Artifact);
}
