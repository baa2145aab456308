using Sower.Messages.Deployments;
using Sower.Messages.Domain;

namespace Sower.Messages.Gateway;

/// <summary>Builds the frozen server → garden push payloads from server state.</summary>
public static class GatewayPushes
{
    public static DeploymentPush Deployment(DeploymentSummary d, RequestId requestId, bool skipped) => new(
        requestId.Value,
        d.Sid.Value,
        d.Trigger.ToWire(),
        d.Approved,
        skipped,
        [.. d.Seeds.Select(s => new SeedDeploymentPush(
            s.Subscription.Value,
            s.Action.ToWire(),
            new SeedPush(s.Seed.Sid.Value, s.Seed.Name, s.Seed.Type.ToWire(), s.Seed.Artifact, [.. s.Seed.Tags.Select(t => new TagPush(t.Key, t.Value))])))]);

    public static DeploymentErrorPush Error(RequestId requestId, string reason) => new(requestId.Value, reason);
}
