using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.RebootLocks;
using Sower.Actors.Server;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.RebootLocks;
using Sower.Messages.Rollouts;
using Sower.Messages.Seeds;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockQueries;
using static Sower.Messages.RebootLocks.RebootLockReplies;
using static Sower.Messages.Rollouts.RolloutCommands;
using static Sower.Messages.Rollouts.RolloutQueries;

namespace Sower.Server.Ui.Services;

/// <summary>What a rollout plan form produced: the plan, or every problem the API would name, field by field.</summary>
public sealed record PlanOutcome(ConsoleOutcome Outcome, IReadOnlyList<ValidationProblem> Problems);

/// <summary>
/// Fleet coordination in the console (issue 14): rollout plans and waves of a seed line, reboot leases and inhibited
/// gardens. The same commands, the same pure validation and the same roles as the REST endpoints
/// (<c>/api/v1/rollouts</c>, <c>/api/v1/reboot-locks</c>); every handler checks the role itself, whatever the page shows.
/// </summary>
public sealed partial class ConsoleActions
{
    /// <summary>The seed line's plan and current rollout (deployment:read, as GET /api/v1/rollouts/…); null when the
    /// session may not see it or the line's entity does not answer.</summary>
    public async Task<RolloutFound?> RolloutAsync(SeedLineKey line)
    {
        if (!await Allowed(await UserAsync(), Roles.DeploymentRead)) return null;
        if (services.GetService<IRequiredActor<SeedLineRegion>>() is not { } lines) return null;
        try
        {
            return await lines.ActorRef.Ask(new GetRollout(line), AskTimeout) as RolloutFound;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Leases, groups and inhibited gardens (garden:read, as GET /api/v1/reboot-locks); null when not allowed or
    /// the lease table does not answer in time.</summary>
    public async Task<RebootLockList?> RebootLocksAsync()
    {
        if (!await Allowed(await UserAsync(), Roles.GardenRead)) return null;
        if (services.GetService<IRequiredActor<RebootLocksActorKey>>() is not { } locks) return null;
        try
        {
            return await locks.ActorRef.Ask(GetRebootLocks.Instance, AskTimeout) as RebootLockList;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Resume a halted rollout (deployment:write, audited): the halted wave counts as passed.</summary>
    public Task<ConsoleOutcome> ResumeRolloutAsync(SeedLineKey line) => Guarded(Roles.DeploymentWrite, async user =>
        Rollout(await Region<SeedLineRegion>().Ask(new ResumeRollout(line, user.AuditActor()), AskTimeout), "Resumed: the next wave starts now"));

    /// <summary>Abort a running or halted rollout (deployment:write, audited): later waves never get its seed.</summary>
    public Task<ConsoleOutcome> AbortRolloutAsync(SeedLineKey line) => Guarded(Roles.DeploymentWrite, async user =>
        Rollout(await Region<SeedLineRegion>().Ask(new AbortRollout(line, user.AuditActor()), AskTimeout), "Aborted: later waves never get this seed"));

    /// <summary>Define or replace the line's plan (admin). Parsed by <see cref="RolloutPlanParser"/>, the API's parser:
    /// a bad plan is refused with each problem and nothing is sent.</summary>
    public async Task<PlanOutcome> SetRolloutPlanAsync(SeedLineKey line, IReadOnlyList<string?> waves, string? soak, int? successThreshold)
    {
        IReadOnlyList<ValidationProblem> problems = [];
        var outcome = await Guarded(Roles.Admin, async user =>
        {
            var parsed = RolloutPlanParser.Parse(waves, soak, successThreshold, user.AuditActor(), services.GetRequiredService<IClock>().GetCurrentInstant());
            if (!parsed.Ok)
            {
                problems = parsed.Problems;
                return ConsoleOutcome.Failure("The plan was not saved: " + string.Join("; ", parsed.Problems.Select(p => p.ToString())));
            }
            return Rollout(await Region<SeedLineRegion>().Ask(new SetRolloutPlan(line, parsed.Value!), AskTimeout), "Plan saved: the next realtime seed goes out in these waves");
        });
        return new PlanOutcome(outcome, problems);
    }

    /// <summary>Remove the line's plan (admin): a running rollout finishes under the plan it started with.</summary>
    public Task<ConsoleOutcome> ClearRolloutPlanAsync(SeedLineKey line) => Guarded(Roles.Admin, async user =>
        Rollout(await Region<SeedLineRegion>().Ask(new ClearRolloutPlan(line, user.AuditActor()), AskTimeout),
            "Plan cleared: realtime seeds go to every follower at once again"));

    /// <summary>Free a garden's reboot lease by hand (admin, as DELETE /api/v1/reboot-locks/{garden}).</summary>
    public Task<ConsoleOutcome> ReleaseRebootLeaseAsync(GardenId garden) => Guarded(Roles.Admin, async user =>
    {
        var locks = services.GetRequiredService<IRequiredActor<RebootLocksActorKey>>().ActorRef;
        return await locks.Ask(new ForceReleaseRebootLease(garden, user.AuditActor()), AskTimeout) is RebootLeaseReleaseConfirmed
            ? ConsoleOutcome.Success("Released: another garden of its group may reboot now")
            : ConsoleOutcome.Failure("This garden holds no reboot lease");
    });

    private static ConsoleOutcome Rollout(object reply, string message) => reply switch
    {
        RolloutFound => ConsoleOutcome.Success(message),
        CommandFailed f => ConsoleOutcome.Failure(char.ToUpperInvariant(f.Message[0]) + f.Message[1..]),
        _ => ConsoleOutcome.Failure("The server gave an unexpected answer."),
    };
}
