using Akka.Actor;
using Akka.Event;
using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using SeedDeploymentState = Sower.Messages.Deployments.SeedDeploymentState;
using SeedResult = Sower.Messages.Deployments.SeedResult;
using DeploymentWire = Sower.Messages.Deployments.DeploymentWire;

namespace Sower.Actors.Garden;

/// <summary>
/// Magic rollback, the garden's half (REFERENCE §5.16). A seed whose activation asked the activator for a rollback deadline
/// is recorded (<see cref="GardenJournalEvents.RollbackArmed"/>); when every seed is done the deployment does not complete
/// yet: it records <see cref="GardenJournalEvents.ConfirmationAwaited"/>, makes a new connection to the server (or, for a
/// reboot, lets the reboot make it), and only then confirms with the activator. A deadline that fired ends the deployment
/// <c>rolled_back</c> with the activator's reason in the log. A restarted garden asks the activator what became of an
/// interrupted activation's deadline before it reads the profile.
/// </summary>
public sealed partial class GardenDeploymentActor
{
    private static readonly TimeSpan RollbackRequestTimeout = TimeSpan.FromSeconds(60);
    private bool _watchingConnections;

    private sealed class RetryConfirm
    {
        public static readonly RetryConfirm Instance = new();
    }

    /// <summary>At start: resume a confirmation, or first ask the activator about an interrupted activation. True when it took over.</summary>
    private bool ResumesRollbackWork()
    {
        if (_state.ConfirmationAwaited is not null)
        {
            BeginConfirming(fresh: false);
            return true;
        }
        if (!_confirmation.StatusChecked && _confirmation.StatusRequest is null && _state.ActivationsStarted.Keys.Any(k => !_state.Finished.ContainsKey(k)))
        {
            var request = Sid.New("act");
            _confirmation = _confirmation.AskStatus(request);
            _activator.Tell(new ActivatorCommands.Run(ActivatorRequest.RollbackStatus(request, _push.Sid), Self, RollbackRequestTimeout));
            return true;
        }
        return _confirmation.StatusRequest is not null;
    }

    /// <summary>The live switch after a boot-mode install keeps the deadline, now running from the switch.</summary>
    private ActivatorRequest LiveSwitchWithDeadline(ActivatorRequest request, GardenSeedDeployment restarted)
    {
        if (!_state.ArmedSeeds.Contains(restarted.Seed.Sid)) return request;
        var name = _store.Current.Subscriptions?.FirstOrDefault(s => s.Sid == restarted.SubscriptionSid)?.Spec.Name;
        var timeout = _settings.ConfirmTimeoutFor(name);
        return timeout > 0 ? request with { Deployment = _push.Sid, ConfirmTimeout = timeout } : request;
    }

    /// <summary>Called by Complete: true when the deployment first waits for a confirmation.</summary>
    private bool AwaitsConfirmation(string result)
    {
        if (result == "rolled_back" || _confirmation.Settled || _state.ArmedSeeds.Count == 0) return false;
        if (_state.ConfirmationAwaited is not null) return true;
        Persist(new GardenJournalEvents.ConfirmationAwaited(result, _run.RebootReason is not null, _clock.GetCurrentInstant().ToUnixTimeMilliseconds()), e =>
        {
            _state = _state.Apply(e);
            BeginConfirming(fresh: true);
        });
        return true;
    }

    private void BeginConfirming(bool fresh)
    {
        if (!_watchingConnections)
        {
            Context.System.EventStream.Subscribe(Self, typeof(GardenDaemonEvents.ConnectionChanged));
            _watchingConnections = true;
        }
        if (fresh && _run.RebootReason is { } reason)
        {
            // The deadline runs from the boot: the connection the garden makes after it is the proof. Asked once, never again.
            _confirmation = _confirmation.RebootAsked();
            _run = _run with { RebootReason = null };
            Note($"rebooting ({reason}); the switch is confirmed once this garden reaches the server after the boot");
            _activator.Tell(new ActivatorCommands.Run(ActivatorRequest.Reboot(Sid.New("act"), reason), ActorRefs.Nobody, _settings.Timeouts.Activation));
            return;
        }
        Note("reconnecting to the server to confirm the switch");
        _link.Tell(new GardenDaemonCommands.Reconnect($"to confirm the switch of deployment {_push.Sid}"));
    }

    private void OnConnectionChanged(GardenDaemonEvents.ConnectionChanged changed)
    {
        if (!changed.Connected || _state.ConfirmationAwaited is null || _state.Completed is not null || _confirmation.ConfirmRequest is not null ||
            _confirmation.Settled) return;
        SendConfirm();
    }

    private void SendConfirm()
    {
        if (_confirmation.ConfirmRequest is not null || _confirmation.Settled || _state.Completed is not null) return;
        var request = Sid.New("act");
        _confirmation = _confirmation.AskConfirmation(request);
        _activator.Tell(new ActivatorCommands.Run(ActivatorRequest.Confirm(request, _push.Sid), Self, RollbackRequestTimeout));
    }

    private void OnRollbackOutput(ActivatorCommands.Output output)
    {
        if (output.Frame.Data is { } data) _confirmation = _confirmation.Heard(output.RequestId, output.Frame.Type == ActivatorFrameTypes.Error, data);
    }

    /// <summary>Handles the end of a status or confirm request; false for any other request.</summary>
    private bool OnRollbackFinished(ActivatorCommands.Finished f)
    {
        if (f.RequestId == _confirmation.StatusRequest)
        {
            OnStatus(f);
            return true;
        }
        if (f.RequestId != _confirmation.ConfirmRequest) return false;
        var result = _state.ConfirmationAwaited!.Result;
        (_confirmation, var outcome) = _confirmation.ConfirmationAnswered(f.ExitCode, f.Error);
        switch (outcome.Verdict)
        {
            case RollbackConfirmation.Verdict.Settled:
                Settle(result, outcome.Text!);
                break;
            case RollbackConfirmation.Verdict.RolledBack:
                FinishRolledBack(outcome.Text!);
                break;
            case RollbackConfirmation.Verdict.WaitForBoot:
                _log.Info("Deployment {DeploymentId}: the rollback deadline waits for the boot", _push.Sid);
                break;
            case RollbackConfirmation.Verdict.Retry:
                _log.Warning("Deployment {DeploymentId}: could not confirm the switch ({Error}); trying again", _push.Sid, f.Error);
                Timers.StartSingleTimer("confirm", RetryConfirm.Instance, TimeSpan.FromSeconds(2));
                break;
        }
        return true;
    }

    /// <summary>What a restarted garden learns about an interrupted activation's deadline.</summary>
    private void OnStatus(ActivatorCommands.Finished f)
    {
        if (f.ExitCode != 0) _log.Warning("Deployment {DeploymentId}: the activator's rollback status is unknown ({Error})", _push.Sid, f.Error ?? $"exit code {f.ExitCode}");
        (_confirmation, var firedReason) = _confirmation.StatusAnswered();
        if (firedReason is not null)
        {
            FinishRolledBack(firedReason);
            return;
        }
        Self.Tell(Start.Instance);
    }

    private void Settle(string result, string line)
    {
        _confirmation = _confirmation.Settle();
        Note(line);
        Complete(result);
    }

    /// <summary>The activator went back to the previous generation: every seed it covered failed, with the reason; the deployment is rolled_back.</summary>
    private void FinishRolledBack(string reason)
    {
        _confirmation = _confirmation.Settle();
        var now = _clock.GetCurrentInstant();
        var text = LogLines.Garden(now, "rolled back by the activator: " + reason) + "\n";
        _log.Warning("Deployment {DeploymentId} rolled back: {Reason}", _push.Sid, reason);
        var events = new List<GardenJournalEvents.SeedFinished>();
        foreach (var item in _push.Seeds)
        {
            var sid = item.Seed.Sid;
            if (!_state.Finished.TryGetValue(sid, out var done))
            {
                if (_state.ActivationsStarted.TryGetValue(sid, out var started)) events.Add(new(sid, "failure", started.Action, text));
                continue;
            }
            if (_state.ArmedSeeds.Contains(sid))
            {
                _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedResult(_push.Sid, sid, DeploymentWire.ToWire(SeedResult.Failure), done.Action, text)));
            }
        }
        _run = _run.StopReadingBack();
        (_locks, var held) = _locks.ReleaseAll();
        foreach (var key in held) _deployer.Tell(new GardenDeploymentCommands.ReleaseProfile(key));
        if (events.Count == 0)
        {
            Complete("rolled_back");
            return;
        }
        PersistAll(events, e => RecordFinished(e));
        DeferAsync(Continue.Instance, _ => Complete("rolled_back"));
    }

    /// <summary>A garden line in the log of the first seed that armed a deadline.</summary>
    private void Note(string line)
    {
        _log.Info("Deployment {DeploymentId}: {Line}", _push.Sid, line);
        var seed = _push.Seeds.FirstOrDefault(s => _state.ArmedSeeds.Contains(s.Seed.Sid)) ?? _push.Seeds.FirstOrDefault();
        if (seed is null) return;
        _link.Tell(new GardenDaemonCommands.SendDurable(
            GatewayRequests.SeedLog(_push.Sid, seed.Seed.Sid, LogLines.Garden(_clock.GetCurrentInstant(), line) + "\n")));
    }
}
