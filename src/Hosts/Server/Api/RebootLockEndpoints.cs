using System.Collections.Immutable;
using Akka.Actor;
using Akka.Hosting;
using NodaTime.Text;
using Sower.Actors.RebootLocks;
using Sower.Messages.Domain;
using Sower.Messages.RebootLocks;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockQueries;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Server.Api;

public sealed record RebootLeaseWire(string GardenSid, string GardenName, string DeploymentSid, string Group, string AcquiredAt, string ExpiresAt, bool Expired);

public sealed record RebootGroupRuleWire(string Group, string Selector, int MaxConcurrentReboots);

public sealed record GardenInhibitionWire(string GardenSid, string GardenName, string Reason, string Since);

public sealed record RebootLocksWire(
    IReadOnlyList<RebootLeaseWire> Leases,
    IReadOnlyList<RebootGroupRuleWire> Rules,
    int DefaultMaxConcurrentReboots,
    long LeaseTtlSeconds,
    IReadOnlyList<GardenInhibitionWire> Inhibited);

public sealed record RebootGroupRulesBody(IReadOnlyList<RebootGroupRuleWire?>? Rules);

/// <summary>The reboot lock (issue 14.3): who holds a lease, the per-selector groups, and which gardens are inhibited;
/// operators set the groups and force-release a lease.</summary>
public static class RebootLockEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapRebootLockEndpoints(this IEndpointRouteBuilder app)
    {
        var locks = app.MapGroup("/api/v1/reboot-locks").WithTags("reboot locks");
        locks.MapGet("", List).RequireAuthorization(Roles.GardenRead).Produces<RebootLocksWire>()
            .WithSummary("List reboot leases, group rules and inhibited gardens");
        locks.MapPut("/rules", SetRules).RequireAuthorization(Roles.Admin).Accepts<RebootGroupRulesBody>("application/json")
            .Produces<RebootLocksWire>().Produces<ErrorWire>(422).WithSummary("Replace the reboot group rules (first matching selector wins)");
        locks.MapDelete("/{gardenSid}", Release).RequireAuthorization(Roles.Admin).Produces(204).Produces<ErrorWire>(404)
            .WithSummary("Force-release a garden's reboot lease");
    }

    private static async Task<IResult> List(IRequiredActor<RebootLocksActorKey> locks) =>
        ApiWire.Ok(Wire(await locks.ActorRef.Ask<RebootLockList>(GetRebootLocks.Instance, AskTimeout)));

    private static async Task<IResult> SetRules(HttpContext http, IRequiredActor<RebootLocksActorKey> locks)
    {
        var (body, error) = await ApiWire.ReadBody<RebootGroupRulesBody>(http);
        if (error is not null) return error;
        if (body!.Rules is null) return ApiWire.Error(422, "invalid reboot group rules", ["rules: required: a list of {group, selector, max_concurrent_reboots}"]);
        if (body.Rules.Any(r => r is null)) return ApiWire.Error(422, "invalid reboot group rules", ["rules: every entry must be an object"]);
        var rules = body.Rules.Select(r => new RebootGroupRule(r!.Group ?? "", r.Selector ?? "", r.MaxConcurrentReboots)).ToImmutableArray();
        var reply = await locks.ActorRef.Ask(new SetRebootGroupRules(rules, http.User.AuditActor()), AskTimeout);
        if (reply is RebootLockError e) return ApiWire.Error(422, "invalid reboot group rules", e.Errors);
        return ApiWire.Ok(Wire(await locks.ActorRef.Ask<RebootLockList>(GetRebootLocks.Instance, AskTimeout)));
    }

    private static async Task<IResult> Release(string gardenSid, System.Security.Claims.ClaimsPrincipal user, IRequiredActor<RebootLocksActorKey> locks)
    {
        if (!Sid.IsValid(gardenSid, GardenId.Prefix)) return ApiWire.NotFound("no reboot lease for this garden");
        var reply = await locks.ActorRef.Ask(new ForceReleaseRebootLease(new GardenId(gardenSid), user.AuditActor()), AskTimeout);
        return reply is RebootLeaseReleaseConfirmed ? Results.NoContent() : ApiWire.NotFound("no reboot lease for this garden");
    }

    public static RebootLocksWire Wire(RebootLockList list) => new(
        [.. list.Leases.Select(l => new RebootLeaseWire(l.Garden.Value, l.GardenName, l.Deployment.Value, l.Group,
            InstantPattern.ExtendedIso.Format(l.AcquiredAt), InstantPattern.ExtendedIso.Format(l.ExpiresAt), l.ExpiresAt <= list.At))],
        [.. list.Rules.Select(r => new RebootGroupRuleWire(r.Group, r.Selector, r.MaxConcurrentReboots))],
        list.DefaultMaxConcurrentReboots,
        list.LeaseTtlSeconds,
        [.. list.Inhibitions.Select(i => new GardenInhibitionWire(i.Garden.Value, i.GardenName, i.Reason, InstantPattern.ExtendedIso.Format(i.Since)))]);
}
