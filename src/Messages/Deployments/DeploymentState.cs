using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Deployments.DeploymentEvents;

namespace Sower.Messages.Deployments;

/// <summary>Pure state machine of one deployment (REFERENCE §6.4, §6.9, §6.11, §6.12).</summary>
public sealed record DeploymentEntityState(DeploymentRecord? Deployment) : ISowerSerializable
{
    public static readonly DeploymentEntityState Empty = new((DeploymentRecord?)null);

    public const string NotFound = "deployment_not_found";
    public const string Unauthorized = "unauthorized";
    public const string SeedNotInDeployment = "seed_not_in_deployment";
    public const string InvalidState = "invalid_state";

    public DeploymentEntityState Apply(IDeploymentEvent e)
    {
        if (e is DeploymentCreated created) return new DeploymentEntityState(created.Deployment);
        var d = Deployment;
        if (d is null) return this;
        d = e switch
        {
            DeploymentAcknowledged a => d with { State = DeploymentState.Acknowledged, Events = d.Events.Add(new("acknowledged", null, Actor.Garden(d.Garden), a.At, null)) },
            SeedStatusChanged s => d with { Seeds = UpdateSeed(d.Seeds, s.Seed, x => x with { State = s.Status }) },
            SeedResultRecorded r => d with
            {
                Seeds = UpdateSeed(d.Seeds, r.Seed, x => x with
                {
                    Result = r.Result ?? x.Result,
                    Executed = r.Action ?? x.Executed,
                    Log = string.IsNullOrEmpty(r.Log) ? x.Log : x.Log.Length == 0 ? r.Log : x.Log + "\n" + r.Log,
                }),
            },
            DeploymentCompleted c => d with
            {
                State = c.Late ? d.State : DeploymentState.Completed,
                Result = c.Result,
                DeployedAt = c.DeployedAt,
                Events = d.Events.Add(new(c.Late ? "late_result" : "completed", c.Result.ToWire(), Actor.Garden(c.Actor), c.At,
                    c.Late ? $"result arrived after the deployment was {d.State.ToWire()}" : null)),
            },
            DeploymentApproved a => d with
            {
                State = DeploymentState.Dispatched,
                Approved = true,
                LastDispatchedAt = a.At,
                Events = d.Events.Add(new("approved", null, a.Actor, a.At, null)),
            },
            DeploymentCanceled c => d with { State = DeploymentState.Canceled, Events = d.Events.Add(new("canceled", c.Reason.ToWire(), c.Actor, c.At, null)) },
            DeploymentMarkedStale s => d with
            {
                State = DeploymentState.Stale,
                Result = DeploymentResult.Failure,
                DeployedAt = s.At,
                Events = d.Events.Add(new("canceled", "stale", Actor.Server, s.At, null)),
            },
            DeploymentRedispatched r => d with
            {
                LastDispatchedAt = r.At,
                RequestId = r.RequestId,
                Events = d.Events.Add(new("redispatched", null, Actor.Garden(d.Garden), r.At, null)),
            },
            _ => d,
        };
        return new DeploymentEntityState(d);
    }

    private static ImmutableArray<SeedDeployment> UpdateSeed(ImmutableArray<SeedDeployment> seeds, SeedId sid, Func<SeedDeployment, SeedDeployment> f) =>
        seeds.Select(s => s.Seed.Sid == sid ? f(s) : s).ToImmutableArray();

    /// <summary>Ownership checks of REFERENCE §6.12: null when the caller may touch the deployment (and the seed, when given).</summary>
    public CommandFailed? CheckOwnership(GardenId caller, SeedId? seed = null)
    {
        if (Deployment is null) return CommandFailed.Of(NotFound, "deployment not found");
        if (Deployment.Garden != caller) return CommandFailed.Of(Unauthorized, "deployment belongs to another garden");
        if (seed is { } s && Deployment.Seeds.All(x => x.Seed.Sid != s)) return CommandFailed.Of(SeedNotInDeployment, "seed is not part of this deployment");
        return null;
    }

    public (CommandFailed? Error, ImmutableArray<IDeploymentEvent> Events) Decide(object command, Instant now) => command switch
    {
        CreateDeployment c => Deployment is null ? (null, [new DeploymentCreated(c.DeploymentId, c.Initial)]) : (null, []),
        AcknowledgeDeployment a => CheckOwnership(a.Caller) is { } e1 ? (e1, [])
            : Deployment!.State == DeploymentState.Dispatched ? (null, [new DeploymentAcknowledged(a.DeploymentId, now)]) : (null, []),
        SetSeedStatus s => CheckOwnership(s.Caller, s.Seed) is { } e2 ? (e2, []) : (null, [new SeedStatusChanged(s.DeploymentId, s.Seed, s.Status, now)]),
        RecordSeedResult r => CheckOwnership(r.Caller, r.Seed) is { } e3 ? (e3, [])
            : r.Result is null && r.Action is null && string.IsNullOrEmpty(r.Log) ? (null, [])
            : (null, [new SeedResultRecorded(r.DeploymentId, r.Seed, r.Result, r.Action, r.Log, now)]),
        RecordDeploymentResult r => DecideResult(r, now),
        ApproveDeployment a => Deployment is null ? (CommandFailed.Of(NotFound, "deployment not found"), [])
            : Deployment.State != DeploymentState.AwaitingApproval ? (CommandFailed.Of(InvalidState, "deployment is not awaiting approval"), [])
            : (null, [new DeploymentApproved(a.DeploymentId, a.Actor, now)]),
        RejectDeployment r => Deployment is null ? (CommandFailed.Of(NotFound, "deployment not found"), [])
            : Deployment.State != DeploymentState.AwaitingApproval ? (CommandFailed.Of(InvalidState, "deployment is not awaiting approval"), [])
            : (null, [new DeploymentCanceled(r.DeploymentId, CancelReason.Rejected, r.Actor, now)]),
        CancelDeployment c => Deployment is null ? (CommandFailed.Of(NotFound, "deployment not found"), [])
            : Deployment.State is DeploymentState.Completed or DeploymentState.Canceled ? (null, [])
            : c.Reason == CancelReason.Stale && Deployment.State != DeploymentState.Stale ? (null, [])
            : (null, [new DeploymentCanceled(c.DeploymentId, c.Reason, c.Actor, now)]),
        RedispatchDeployment r => Deployment is null ? (CommandFailed.Of(NotFound, "deployment not found"), [])
            : Deployment.State.IsUnresolved() ? (null, [new DeploymentRedispatched(r.DeploymentId, r.RequestId, now)]) : (null, []),
        _ => (CommandFailed.Of("unknown_command", "unknown command"), []),
    };

    private (CommandFailed?, ImmutableArray<IDeploymentEvent>) DecideResult(RecordDeploymentResult r, Instant now)
    {
        if (CheckOwnership(r.Caller) is { } error) return (error, []);
        var d = Deployment!;
        if (d.State == DeploymentState.Completed) return (null, []); // a repeated result (replay after reconnect) changes nothing
        var late = d.State is DeploymentState.Stale or DeploymentState.Canceled;
        return (null, [new DeploymentCompleted(r.DeploymentId, r.Result, r.DeployedAt, late, r.Caller, now)]);
    }

    /// <summary>REFERENCE §6.11: an unresolved deployment whose last dispatch is at least staleAfter old becomes stale.</summary>
    public IDeploymentEvent? StaleCheck(Instant now, Duration staleAfter) =>
        Deployment is { } d && d.State.IsUnresolved() && now - d.LastDispatchedAt >= staleAfter ? new DeploymentMarkedStale(d.Sid, now) : null;

    /// <summary>REFERENCE §6.9: undecided for approval_expiry_seconds → canceled/expired.</summary>
    public IDeploymentEvent? ExpiryCheck(Instant now, Duration expiry) =>
        Deployment is { State: DeploymentState.AwaitingApproval } d && now - d.CreatedAt >= expiry
            ? new DeploymentCanceled(d.Sid, CancelReason.Expired, Actor.Server, now)
            : null;
}
