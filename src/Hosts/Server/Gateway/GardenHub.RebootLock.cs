using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.SignalR;
using NodaTime.Text;
using Sower.Actors.RebootLocks;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;
using Sower.Messages.Gardens;
using Sower.Messages.Domain;
using Sower.Messages.Gateway;
using Sower.Messages.RebootLocks;
using static Sower.Messages.Deployments.DeploymentQueries;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Server.Gateway;

/// <summary>The reboot lock and inhibition methods of the gateway (issue 14.3/14.4). Like every other method they act
/// only for the garden of the connection: a lease is taken for a deployment of that garden, released only as that
/// garden, and an inhibition is recorded only for it.</summary>
public sealed partial class GardenHub
{
    private T Service<T>() where T : notnull =>
        Context.GetHttpContext() is { } http ? http.RequestServices.GetRequiredService<T>() : throw new HubException("no request services");

    private IActorRef RebootLocks => Service<IRequiredActor<RebootLocksActorKey>>().ActorRef;

    private TimeSpan AskTimeout => Service<GatewayOptions>().AskTimeout;

    [HubMethodName(GatewayProtocol.RebootLockAcquire)]
    public async Task<GatewayReply> AcquireRebootLock(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<RebootLockAcquireMessage>(payload, out var acquire, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        var deployment = DeploymentSid(acquire.DeploymentSid, problems);
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var session = Session;
        // A lease is only for a deployment of this very garden.
        var found = await Service<IRequiredActor<DeploymentRegion>>().ActorRef.Ask<DeploymentFound>(new GetDeployment(deployment), AskTimeout);
        if (found.Deployment is null || found.Deployment.Garden != session.Garden)
        {
            return GatewayReply.Failure(GatewayErrors.DeploymentNotFound, $"deployment {deployment.Value} is not a deployment of this garden");
        }
        var name = session.GardenName ?? session.Garden.Value;
        // The group comes from the garden's effective labels (its own and the admin's), plus its name.
        var known = Service<ReadModelStore>().Current.Gardens.GetValueOrDefault(session.Garden.Value)?.Labels ?? GardenLabels.None;
        var labels = known.SetItem("name", name);
        var reply = await RebootLocks.Ask(new AcquireRebootLease(session.Garden, name, labels, deployment, session.Connection), AskTimeout);
        return reply switch
        {
            RebootLeaseGranted g => Ok(new RebootLockAcquireReply(true, g.Lease.Group, InstantPattern.ExtendedIso.Format(g.Lease.ExpiresAt),
                0, 0, [], null)),
            RebootLeaseDenied d => Ok(new RebootLockAcquireReply(false, d.Group, null, d.InUse, d.Max, [.. d.Holders], d.Text)),
            _ => RebootLockFailed(reply),
        };
    }

    [HubMethodName(GatewayProtocol.RebootLockRelease)]
    public async Task<GatewayReply> ReleaseRebootLock(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<RebootLockReleaseMessage>(payload, out var release, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        var deployment = DeploymentSid(release.DeploymentSid, problems);
        RebootReleaseReason reason = RebootReleaseReason.NotNeeded;
        switch (release.Reason)
        {
            case RebootLockWire.Booted: reason = RebootReleaseReason.Booted; break;
            case RebootLockWire.NotNeeded: reason = RebootReleaseReason.NotNeeded; break;
            default: problems.Add(new("reason", $"must be {RebootLockWire.Booted} or {RebootLockWire.NotNeeded}")); break;
        }
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var session = Session;
        var reply = await RebootLocks.Ask(new ReleaseRebootLease(session.Garden, deployment, session.Connection, reason), AskTimeout);
        return reply is RebootLeaseReleaseConfirmed ? Ok(new { released = true }) : RebootLockFailed(reply);
    }

    [HubMethodName(GatewayProtocol.GardenInhibition)]
    public async Task<GatewayReply> ReportInhibition(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<GardenInhibitionMessage>(payload, out var report, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        if (report.Inhibited is not { } inhibited) problems.Add(new("inhibited", "required: true or false"));
        else if (inhibited && (string.IsNullOrWhiteSpace(report.Reason) || report.Reason.Length > RebootLockTable.MaxReasonLength || report.Reason.Any(char.IsControl)))
            problems.Add(new("reason", $"required while inhibited: one line of at most {RebootLockTable.MaxReasonLength} characters"));
        else if (!inhibited && report.Reason is not null) problems.Add(new("reason", "must be null when not inhibited"));
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var session = Session;
        var reply = await RebootLocks.Ask(
            new ReportGardenInhibition(session.Garden, session.GardenName ?? session.Garden.Value, report.Inhibited == true ? report.Reason : null), AskTimeout);
        return reply is GardenInhibitionRecorded ? Ok(new { }) : RebootLockFailed(reply);
    }

    private static GatewayReply RebootLockFailed(object reply) => reply switch
    {
        RebootLockError { Code: RebootLockErrorCodes.NotHolder } e => GatewayReply.Failure(GatewayErrors.NotLeaseHolder, string.Join("; ", e.Errors)),
        RebootLockError e => GatewayReply.Failure(GatewayErrors.InvalidPayload, string.Join("; ", e.Errors)),
        _ => GatewayReply.Failure(GatewayErrors.Unavailable, "unexpected reply from the reboot lock"),
    };
}
