using System.Collections.Immutable;
using Akka.Actor;
using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Change-aware activation of a NixOS seed (issue 16.4), under the profile lock and before the activator is asked: the
/// "what changes" summary against the running system goes into the deployment log, and when only boot components change
/// while restart is not permitted, the system is installed for the next boot instead of switched live. Nothing here can
/// fail the deployment: a comparison that cannot run says so and the activation goes on as before.
/// </summary>
public sealed partial class SeedExecutionActor
{
    private string? _bootReason;
    private string _activationMode = NixosModes.Switch;

    private sealed record Compared(ImmutableArray<string> Lines, IReadOnlyCollection<string>? Differing, string? Error);

    private void CompareWithRunningSystem()
    {
        Become(Comparing);
        var running = SymlinkResolver.Canonicalize(_settings.Roots.CurrentSystem, out var missing);
        var next = _seed.Artifact;
        Task.Run(async () =>
        {
            if (running is null) return new Compared([$"what changes: unknown, no running system to compare with ({missing})"], null, missing);
            if (running == next) return new Compared(["what changes: nothing, the host runs this system already"], [], null);
            var lines = await ClosureDiffRunner.SummarizeAsync(running, next, ClosureDiffRunner.DefaultLimit).ConfigureAwait(false);
            var differing = BootChangeClassifier.Differing(running, next, out var error);
            return new Compared(lines, differing, error);
        }).PipeTo(Self, failure: e => new Compared([ClosureDiffRunner.Unavailable(e.GetBaseException().Message)], null, e.Message));
    }

    private void Comparing()
    {
        Receive<SeedExecution.Flush>(_ => FlushLines());
        Receive<Compared>(c =>
        {
            foreach (var line in c.Lines) Line(line);
            var bootOnly = HostConditionRules.BootOnlyReason(c.Differing);
            _bootReason = HostConditionRules.BootReason(c.Differing);
            _activationMode = HostConditionRules.NixosMode(_executing, bootOnly) ?? NixosModes.Switch;
            if (_executing == PolicyAction.Activate && _activationMode == NixosModes.Boot)
            {
                Line($"only boot components change ({string.Join(", ", c.Differing ?? [])}) and restart is not permitted now: installing for the next boot " +
                     "instead of switching live (the running kernel would meet new modules); the garden is marked reboot pending");
                // Written before the activator is asked, so a garden restart in between reads the install back from the profile.
                try { HostConditionStore.For(_store).Update(h => h with { BootInstalling = _seed.Artifact }, out _); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Line($"could not record the host condition: {e.Message}"); }
            }
            StartActivation(ActivatorRequest.NixOS(NewId(), _seed.Artifact, _activationMode), _activationMode);
        });
    }

    /// <summary>After a successful NixOS activation: Sower now runs (or will boot) this system; drift is over, a reboot may be pending.</summary>
    private void RecordActivatedSystem()
    {
        var conditions = HostConditionStore.For(_store);
        try
        {
            if (conditions.Update(c => HostConditionRules.AfterActivation(c, _seed.Artifact, _seed.Sid, _activationMode, _bootReason, _clock.GetCurrentInstant()), out var after))
            {
                if (after.RebootPending is { } pending) Line($"reboot pending ({pending.Reason}): the host boots {pending.System} next time");
                Context.System.EventStream.Publish(new HostConditionCommands.Changed());
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The activation itself succeeded; only the bookkeeping of reboot pending and drift is behind.
            Line($"could not record the host condition: {e.Message}");
        }
    }
}
