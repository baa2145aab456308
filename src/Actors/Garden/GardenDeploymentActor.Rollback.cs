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
    private readonly List<string> rollbackReplies = new();
    private string? statusRequest;
    private string? confirmRequest;
    private bool statusChecked;
    private bool rollbackArmedAtRecovery;
    private bool confirmationSettled;
    private bool rebootRequestedHere;
    private bool watchingConnections;
    private int confirmAttempts;

    private sealed class RetryConfirm
    {
        public static readonly RetryConfirm Instance = new();
    }

    /// <summary>At start: resume a confirmation, or first ask the activator about an interrupted activation. True when it took over.</summary>
    private bool ResumesRollbackWork()
    {
        if (state.ConfirmationAwaited is not null)
        {
            BeginConfirming(fresh: false);
            return true;
        }
        if (!statusChecked && statusRequest is null && state.ActivationsStarted.Keys.Any(k => !state.Finished.ContainsKey(k)))
        {
            statusRequest = Sid.New("act");
            rollbackReplies.Clear();
            activator.Tell(new ActivatorCommands.Run(ActivatorRequest.RollbackStatus(statusRequest, push.Sid), Self, RollbackRequestTimeout));
            return true;
        }
        return statusRequest is not null;
    }

    /// <summary>The live switch after a boot-mode install keeps the deadline, now running from the switch.</summary>
    private ActivatorRequest LiveSwitchWithDeadline(ActivatorRequest request, GardenSeedDeployment restarted)
    {
        if (!state.ArmedSeeds.Contains(restarted.Seed.Sid)) return request;
        var name = store.Current.Subscriptions?.FirstOrDefault(s => s.Sid == restarted.SubscriptionSid)?.Spec.Name;
        var timeout = settings.ConfirmTimeoutFor(name);
        return timeout > 0 ? request with { Deployment = push.Sid, ConfirmTimeout = timeout } : request;
    }

    /// <summary>Called by Complete: true when the deployment first waits for a confirmation.</summary>
    private bool AwaitsConfirmation(string result)
    {
        if (result == "rolled_back" || confirmationSettled || state.ArmedSeeds.Count == 0) return false;
        if (state.ConfirmationAwaited is not null) return true;
        Persist(new GardenJournalEvents.ConfirmationAwaited(result, rebootReason is not null, clock.GetCurrentInstant().ToUnixTimeMilliseconds()), e =>
        {
            state = state.Apply(e);
            BeginConfirming(fresh: true);
        });
        return true;
    }

    private void BeginConfirming(bool fresh)
    {
        if (!watchingConnections)
        {
            Context.System.EventStream.Subscribe(Self, typeof(GardenDaemonEvents.ConnectionChanged));
            watchingConnections = true;
        }
        if (fresh && rebootReason is { } reason)
        {
            // The deadline runs from the boot: the connection the garden makes after it is the proof. Asked once, never again.
            rebootRequestedHere = true;
            rebootReason = null;
            Note($"rebooting ({reason}); the switch is confirmed once this garden reaches the server after the boot");
            activator.Tell(new ActivatorCommands.Run(ActivatorRequest.Reboot(Sid.New("act"), reason), ActorRefs.Nobody, settings.Timeouts.Activation));
            return;
        }
        Note("reconnecting to the server to confirm the switch");
        link.Tell(new GardenDaemonCommands.Reconnect($"to confirm the switch of deployment {push.Sid}"));
    }

    private void OnConnectionChanged(GardenDaemonEvents.ConnectionChanged changed)
    {
        if (!changed.Connected || state.ConfirmationAwaited is null || state.Completed is not null || confirmRequest is not null || confirmationSettled) return;
        SendConfirm();
    }

    private void SendConfirm()
    {
        if (confirmRequest is not null || confirmationSettled || state.Completed is not null) return;
        confirmRequest = Sid.New("act");
        rollbackReplies.Clear();
        activator.Tell(new ActivatorCommands.Run(ActivatorRequest.Confirm(confirmRequest, push.Sid), Self, RollbackRequestTimeout));
    }

    private void OnRollbackOutput(ActivatorCommands.Output output)
    {
        if ((output.RequestId == statusRequest || output.RequestId == confirmRequest) && output.Frame.Data is { } data)
        {
            rollbackReplies.Add(output.Frame.Type == ActivatorFrameTypes.Error ? RollbackConfirmation.ErrorPrefix + data : data);
        }
    }

    /// <summary>Handles the end of a status or confirm request; false for any other request.</summary>
    private bool OnRollbackFinished(ActivatorCommands.Finished f)
    {
        if (f.RequestId == statusRequest)
        {
            statusRequest = null;
            statusChecked = true;
            OnStatus(f);
            return true;
        }
        if (f.RequestId != confirmRequest) return false;
        confirmRequest = null;
        var result = state.ConfirmationAwaited!.Result;
        // Only a confirmation the activator could not be asked counts as an attempt.
        if (f.ExitCode is null) confirmAttempts++;
        var outcome = RollbackConfirmation.Decide(f.ExitCode, f.Error, rollbackReplies, rebootRequestedHere, confirmAttempts);
        switch (outcome.Verdict)
        {
            case RollbackConfirmation.Verdict.Settled:
                Settle(result, outcome.Text!);
                break;
            case RollbackConfirmation.Verdict.RolledBack:
                FinishRolledBack(outcome.Text!);
                break;
            case RollbackConfirmation.Verdict.WaitForBoot:
                log.Info("Deployment {DeploymentId}: the rollback deadline waits for the boot", push.Sid);
                break;
            case RollbackConfirmation.Verdict.Retry:
                log.Warning("Deployment {DeploymentId}: could not confirm the switch ({Error}); trying again", push.Sid, f.Error);
                Timers.StartSingleTimer("confirm", RetryConfirm.Instance, TimeSpan.FromSeconds(2));
                break;
        }
        return true;
    }

    /// <summary>What a restarted garden learns about an interrupted activation's deadline.</summary>
    private void OnStatus(ActivatorCommands.Finished f)
    {
        if (f.ExitCode != 0) log.Warning("Deployment {DeploymentId}: the activator's rollback status is unknown ({Error})", push.Sid, f.Error ?? $"exit code {f.ExitCode}");
        var (firedReason, armed) = RollbackConfirmation.ReadStatus(rollbackReplies);
        if (firedReason is not null)
        {
            FinishRolledBack(firedReason);
            return;
        }
        rollbackArmedAtRecovery = armed;
        Self.Tell(Start.Instance);
    }

    private void Settle(string result, string line)
    {
        confirmationSettled = true;
        Note(line);
        Complete(result);
    }

    /// <summary>The activator went back to the previous generation: every seed it covered failed, with the reason; the deployment is rolled_back.</summary>
    private void FinishRolledBack(string reason)
    {
        confirmationSettled = true;
        var now = clock.GetCurrentInstant();
        var text = LogLines.Garden(now, "rolled back by the activator: " + reason) + "\n";
        log.Warning("Deployment {DeploymentId} rolled back: {Reason}", push.Sid, reason);
        var events = new List<GardenJournalEvents.SeedFinished>();
        foreach (var item in push.Seeds)
        {
            var sid = item.Seed.Sid;
            if (!state.Finished.TryGetValue(sid, out var done))
            {
                if (state.ActivationsStarted.TryGetValue(sid, out var started)) events.Add(new(sid, "failure", started.Action, text));
                continue;
            }
            if (state.ArmedSeeds.Contains(sid))
            {
                link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.SeedResult(push.Sid, sid, DeploymentWire.ToWire(SeedResult.Failure), done.Action, text)));
            }
        }
        reconciling.Clear();
        (locks, var held) = locks.ReleaseAll();
        foreach (var key in held) deployer.Tell(new GardenDeploymentCommands.ReleaseProfile(key));
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
        log.Info("Deployment {DeploymentId}: {Line}", push.Sid, line);
        var seed = push.Seeds.FirstOrDefault(s => state.ArmedSeeds.Contains(s.Seed.Sid)) ?? push.Seeds.FirstOrDefault();
        if (seed is null) return;
        link.Tell(new GardenDaemonCommands.SendDurable(
            GatewayRequests.SeedLog(push.Sid, seed.Seed.Sid, LogLines.Garden(clock.GetCurrentInstant(), line) + "\n")));
    }
}
