using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Server;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Rollouts;
using Sower.Messages.Seeds;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.Rollouts.RolloutCommands;
using static Sower.Messages.Rollouts.RolloutQueries;

namespace Sower.Server.Api;

/// <summary>
/// Rollout plans and waves per seed line (issue 14.2): <c>/api/v1/rollouts/{seed_type}/{name}</c>. Reading needs
/// deployment:read; setting or clearing a plan is for admins; resuming or aborting a halted rollout needs deployment:write.
/// </summary>
public static class RolloutEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapRolloutEndpoints(this IEndpointRouteBuilder app)
    {
        var rollouts = app.MapGroup("/api/v1/rollouts/{seedType}/{name}").WithTags("rollouts");
        rollouts.MapGet("", Get).RequireAuthorization(Roles.DeploymentRead).Produces<RolloutWire>().Produces<ErrorWire>(400)
            .WithSummary("The seed line's rollout plan and its current (or latest) rollout with each wave's progress");
        rollouts.MapPut("/plan", SetPlan).RequireAuthorization(Roles.Admin).Accepts<RolloutPlanBody>("application/json")
            .Produces<RolloutWire>().Produces<ErrorWire>(400).Produces<ErrorWire>(422)
            .WithSummary("Set the seed line's rollout plan: ordered waves (\"canary: role=canary\", \"25%\", \"rest\"), soak time, success threshold");
        rollouts.MapDelete("/plan", ClearPlan).RequireAuthorization(Roles.Admin).Produces<RolloutWire>()
            .WithSummary("Remove the plan: realtime seeds go to every follower at once again (a running rollout goes on)");
        rollouts.MapPost("/resume", (string seedType, string name, ClaimsPrincipal user, IRequiredActor<SeedLineRegion> lines) =>
                Operate(seedType, name, lines, line => new ResumeRollout(line, user.AuditActor())))
            .RequireAuthorization(Roles.DeploymentWrite).Produces<RolloutWire>().Produces<ErrorWire>(409)
            .WithSummary("Resume a halted rollout: the halted wave counts as passed and the next wave starts now");
        rollouts.MapPost("/abort", (string seedType, string name, ClaimsPrincipal user, IRequiredActor<SeedLineRegion> lines) =>
                Operate(seedType, name, lines, line => new AbortRollout(line, user.AuditActor())))
            .RequireAuthorization(Roles.DeploymentWrite).Produces<RolloutWire>().Produces<ErrorWire>(409)
            .WithSummary("Abort a running or halted rollout: later waves are never offered its seed");
    }

    private static bool TryLine(string seedType, string name, out SeedLineKey line, out IResult? error)
    {
        var problems = new List<string>();
        if (!SeedTypes.TryParse(seedType, out var type)) problems.Add($"seed_type: one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");
        problems.AddRange(SeedLimits.CheckName(name).Select(p => p.ToString()));
        line = new SeedLineKey(type, name);
        error = problems.Count > 0 ? ApiWire.Error(400, "invalid seed line", problems) : null;
        return error is null;
    }

    private static async Task<IResult> Get(string seedType, string name, IRequiredActor<SeedLineRegion> lines)
    {
        if (!TryLine(seedType, name, out var line, out var error)) return error!;
        return Reply(await lines.ActorRef.Ask(new GetRollout(line), AskTimeout));
    }

    private static async Task<IResult> SetPlan(string seedType, string name, HttpContext http, ClaimsPrincipal user, IRequiredActor<SeedLineRegion> lines, IClock clock)
    {
        if (!TryLine(seedType, name, out var line, out var error)) return error!;
        var (body, bodyError) = await ApiWire.ReadBody<RolloutPlanBody>(http);
        if (bodyError is not null) return bodyError;
        var parsed = RolloutPlanParser.Parse(body!.Waves, body.Soak, body.SuccessThreshold, user.AuditActor(), clock.GetCurrentInstant());
        if (!parsed.Ok) return ApiWire.Error(422, "invalid rollout plan", [.. parsed.Problems.Select(p => p.ToString())]);
        return Reply(await lines.ActorRef.Ask(new SetRolloutPlan(line, parsed.Value!), AskTimeout));
    }

    private static async Task<IResult> ClearPlan(string seedType, string name, ClaimsPrincipal user, IRequiredActor<SeedLineRegion> lines)
    {
        if (!TryLine(seedType, name, out var line, out var error)) return error!;
        return Reply(await lines.ActorRef.Ask(new ClearRolloutPlan(line, user.AuditActor()), AskTimeout));
    }

    private static async Task<IResult> Operate(string seedType, string name, IRequiredActor<SeedLineRegion> lines, Func<SeedLineKey, object> command)
    {
        if (!TryLine(seedType, name, out var line, out var error)) return error!;
        return Reply(await lines.ActorRef.Ask(command(line), AskTimeout));
    }

    private static IResult Reply(object reply) => reply switch
    {
        RolloutFound found => ApiWire.Ok(Wire(found)),
        CommandFailed failed => ApiWire.Error(409, failed.Code, message: failed.Message),
        _ => ApiWire.Unavailable(),
    };

    public static RolloutWire Wire(RolloutFound found) => new(
        found.Line.Type.ToWire(), found.Line.Name,
        found.Plan is { } plan
            ? new RolloutPlanWire([.. plan.Waves.Select(w => w.ToString())], RolloutPlanParser.Format(plan.Soak), plan.SuccessThreshold, plan.SetBy.Sid,
                plan.SetBy.Description, ApiWire.Time(plan.SetAt))
            : null,
        found.Rollout is { } r
            ? new RolloutStateWire(r.Seed.Value, r.Status.ToString().ToLowerInvariant(), r.Reason, r.CurrentWave, ApiWire.Time(r.StartedAt),
                [.. r.Waves.Select(w => new RolloutWaveWire(w.Number, w.Name, w.State, w.Total, w.Succeeded, w.Failed, w.Required, ApiWire.Time(w.SoakUntil)))])
            : null);
}

public sealed record RolloutPlanBody(IReadOnlyList<string?>? Waves, string? Soak, int? SuccessThreshold);

public sealed record RolloutPlanWire(IReadOnlyList<string> Waves, string Soak, int SuccessThreshold, string SetBy, string? SetByDescription, string SetAt);

public sealed record RolloutWaveWire(int Number, string Name, string State, int Total, int Succeeded, int Failed, int Required, string? SoakUntil);

public sealed record RolloutStateWire(string SeedSid, string Status, string? Reason, int CurrentWave, string StartedAt, IReadOnlyList<RolloutWaveWire> Waves);

public sealed record RolloutWire(string SeedType, string Name, RolloutPlanWire? Plan, RolloutStateWire? Rollout);
