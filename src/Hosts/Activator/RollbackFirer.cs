using System.Globalization;

namespace Sower.Activator;

/// <summary>
/// The two entry points that run without a client: <c>--fire-rollback ID</c> (what a timer starts: wait until the deadline,
/// then, if nobody confirmed, switch back and record why) and <c>--resume-rollbacks</c> (at boot: start the timers again,
/// and start boot-mode deadlines from now). Logs go to stderr: the journal, or the deadline's log file for a detached timer.
/// </summary>
public sealed class RollbackFirer(ActivatorSettings settings, ICommandRunner runner, ActivatorLog log, TimeProvider time)
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromMinutes(10);
    private readonly RollbackStore _store = new(settings.Config.RollbackStateDir);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<int> FireAsync(string id, CancellationToken cancellation)
    {
        if (Sower.Messages.Activator.ActivatorRequestValidator.ValidateName(id) is { } invalid)
        {
            log.Error("Refusing to fire", ("deadline", id), ("error", invalid));
            return 1;
        }
        while (true)
        {
            var d = _store.Load(id);
            if (d is null || RollbackRules.Remaining(d, Now) is not { } wait)
            {
                log.Info("Nothing to fire", ("deadline", id), ("state", d?.State ?? "none"));
                return 0;
            }
            if (wait <= TimeSpan.Zero) break;
            // Sleep in slices: a confirm is noticed within a few seconds and the process ends early.
            await Task.Delay(wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(5), time, cancellation).ConfigureAwait(false);
        }
        using (_store.Lock(TimeSpan.FromMinutes(2)))
        {
            // Decided under the lock: a confirm that got in first wins.
            var d = _store.Load(id);
            if (d is null || RollbackRules.Remaining(d, Now) is not { } wait || wait > TimeSpan.Zero)
            {
                log.Info("Not firing: the deadline was settled or moved meanwhile", ("deadline", id), ("state", d?.State ?? "none"));
                return 0;
            }
            if (RollbackRules.WhyNotRollBack(d, RollbackArming.FinalTarget(d.Profile ?? "")) is { } skip)
            {
                _store.Save(d with { State = RollbackStates.Superseded, SettledAtUnixMs = Now, Reason = skip });
                log.Error("Rollback deadline passed unconfirmed, but not rolled back", ("deadline", id), ("reason", skip));
                return 0;
            }
            log.Error("Rollback deadline passed without confirmation: rolling back", ("deadline", id), ("deployment", d.Deployment),
                ("timeout_seconds", d.TimeoutSeconds), ("previous", d.PreviousPath));
            var failure = d.Kind == RollbackDeadline.NixosKind ? await RollBackSystemAsync(d).ConfigureAwait(false) : await RollBackHomeAsync(d).ConfigureAwait(false);
            var reason = failure is null ? RollbackRules.FiredReason(d) : $"no confirmation from the garden within {d.TimeoutSeconds}s; the rollback FAILED: {failure}";
            var fired = d with
            {
                State = failure is null ? RollbackStates.RolledBack : RollbackStates.RollbackFailed,
                SettledAtUnixMs = Now,
                Reason = reason,
                RebootRequested = d.FromBoot && failure is null,
            };
            // Saved before the reboot: the next boot finds it fired and never arms it again (at most one reboot).
            _store.Save(fired);
            log.Error(failure is null ? "Rolled back" : "Rollback failed", ("deadline", id), ("reason", reason));
            if (fired.RebootRequested)
            {
                var reboot = settings.Config.RebootCommand;
                var result = await RunAsync(new CommandSpec(reboot[0], reboot.Skip(1).ToList())).ConfigureAwait(false);
                log.Info(result.Succeeded ? "Reboot into the previous generation initiated" : "Reboot command failed", ("exit_code", result.ExitCode));
            }
            return failure is null ? 0 : 1;
        }
    }

    /// <summary>At boot: boot-mode deadlines start now; every armed deadline gets a timer again (its process did not survive the reboot).</summary>
    public async Task<int> ResumeAsync()
    {
        var started = new List<RollbackDeadline>();
        using (_store.Lock(TimeSpan.FromMinutes(2)))
        {
            foreach (var d in _store.All().Where(d => d.State == RollbackStates.Armed))
            {
                var current = d;
                if (RollbackRules.StartAtBoot(d, Now) is { } fromBoot)
                {
                    _store.Save(fromBoot);
                    current = fromBoot;
                    log.Info("Rollback deadline runs from this boot", ("deadline", d.Id), ("timeout_seconds", d.TimeoutSeconds));
                }
                started.Add(current);
            }
        }
        foreach (var d in started)
        {
            var timer = await RollbackTimer.StartAsync(d, settings, _store, runner, log, Now).ConfigureAwait(false);
            log.Info("Rollback timer started", ("deadline", d.Id), ("timer", timer ?? "none"));
        }
        return 0;
    }

    private async Task<string?> RollBackSystemAsync(RollbackDeadline d)
    {
        var profile = d.Profile!;
        if (d.PreviousGeneration is { } generation)
        {
            var back = await RunAsync(new CommandSpec("nix-env",
                ["--profile", profile, "--switch-generation", generation.ToString(CultureInfo.InvariantCulture)])).ConfigureAwait(false);
            if (!back.Succeeded) return $"nix-env --switch-generation {generation} exited with {back.ExitCode}";
        }
        else if (d.PreviousLink is { } link)
        {
            var temporary = profile + $".sower-rollback-{Environment.ProcessId}";
            File.Delete(temporary);
            File.CreateSymbolicLink(temporary, link);
            if (Native.rename(temporary, profile) != 0) return "could not put the previous profile link back";
        }
        var script = Path.Combine(d.PreviousPath, NixosAction.Script);
        // A boot-mode rollback installs the previous generation for the reboot that follows; a live one switches to it now.
        var mode = d.FromBoot ? Sower.Messages.Activator.NixosModes.Boot : Sower.Messages.Activator.NixosModes.Switch;
        var switched = await RunAsync(new CommandSpec(script, [mode])).ConfigureAwait(false);
        return switched.Succeeded ? null : $"{script} {mode} exited with {switched.ExitCode}";
    }

    private async Task<string?> RollBackHomeAsync(RollbackDeadline d)
    {
        var user = SystemAccounts.Instance.FindUser(d.User ?? "");
        if (user is null || user.Uid != d.UserUid) return $"the account {d.User} is gone or changed";
        var spec = HomeManagerAction.SpecFor(ActivatorProcessIdentity.Current(), user, Path.Combine(d.PreviousPath, HomeManagerAction.Script));
        var result = await RunAsync(spec).ConfigureAwait(false);
        return result.Succeeded ? null : $"{d.PreviousPath}/{HomeManagerAction.Script} exited with {result.ExitCode}";
    }

    private async Task<CommandResult> RunAsync(CommandSpec spec)
    {
        log.Info("Running", ("command", spec.ToString()));
        using var limit = new CancellationTokenSource(CommandLimit);
        return await runner.RunAsync(spec, line => log.Info(line), line => log.Error(line), limit.Token).ConfigureAwait(false);
    }
}
