using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;
using Sower.Messages.Gateway;

namespace Sower.Messages.Garden;

/// <summary>
/// The garden's side of the gateway (REFERENCE §5.17, docs/gateway-protocol.md): method and push names are the server's
/// <see cref="GatewayProtocol"/> constants; the payloads are built and read here as JSON.
/// </summary>
public static class GardenWire
{
    public const string SubscriptionsSync = GatewayProtocol.SubscriptionsSync;
    public const string DeploymentRequest = GatewayProtocol.DeploymentRequest;
    public const string DeploymentStatus = GatewayProtocol.DeploymentStatus;
    public const string SeedStatus = GatewayProtocol.DeploymentSeedStatus;
    public const string SeedResult = GatewayProtocol.DeploymentSeedResult;
    public const string DeploymentResult = GatewayProtocol.DeploymentResult;
    public const string SeedsReport = GatewayProtocol.GardenSeedsReport;
    public const string GardenReport = GatewayProtocol.GardenReport;
    public const string Join = GatewayProtocol.Join;
    public const string HubPath = GatewayProtocol.HubPath;
    public const int ProtocolVersion = GatewayProtocol.Version;
    public const string DeploymentPushName = GatewayProtocol.PushDeployment;
    public const string DeploymentErrorPushName = GatewayProtocol.PushDeploymentError;

    public static JsonObject Request(RequestId requestId, IEnumerable<string> subscriptionSids, Trigger trigger, bool force) => new()
    {
        ["request_id"] = requestId.Value,
        ["subscription_sids"] = new JsonArray(subscriptionSids.Select(s => (JsonNode?)s).ToArray()),
        ["trigger"] = trigger.ToWire(),
        ["force"] = force,
    };

    public static JsonObject Status(string deploymentSid) => new() { ["deployment_sid"] = deploymentSid, ["status"] = "acknowledged" };

    public static JsonObject SeedStatusPayload(string deploymentSid, string seedSid, string status) =>
        new() { ["deployment_sid"] = deploymentSid, ["seed_sid"] = seedSid, ["status"] = status };

    public static JsonObject SeedResultPayload(string deploymentSid, string seedSid, string? result, string? action, string log) => new()
    {
        ["deployment_sid"] = deploymentSid,
        ["seed_sid"] = seedSid,
        ["result"] = result,
        ["action"] = action,
        ["log"] = log,
    };

    public static JsonObject Result(string? requestId, string deploymentSid, string result, string deployedAt) => new()
    {
        ["request_id"] = requestId,
        ["deployment_sid"] = deploymentSid,
        ["result"] = result,
        ["deployed_at"] = deployedAt,
    };
}

/// <summary>A reply from the server to a garden request: <c>ok</c> with a body, or <c>error</c> with a code.</summary>
public sealed record GatewayReply(bool Ok, JsonNode? Body, string? ErrorCode, string? ErrorMessage)
{
    public static GatewayReply Success(JsonNode? body) => new(true, body, null, null);
    public static GatewayReply Failure(string code, string? message = null) => new(false, null, code, message);
}

public sealed record PushedSeed(string Sid, string Name, string SeedTypeWire, string Artifact, ImmutableArray<Tag> Tags)
{
    public SeedType? SeedType => SeedTypes.TryParse(SeedTypeWire, out var t) ? t : null;
}

public sealed record PushedSeedDeployment(string SubscriptionSid, PolicyAction? Action, PushedSeed Seed);

/// <summary>The <c>deployment</c> push (REFERENCE §5.17).</summary>
public sealed record DeploymentPush(
    string? RequestId,
    string Sid,
    Trigger Trigger,
    bool Approved,
    bool Skipped,
    ImmutableArray<PushedSeedDeployment> Seeds)
{
    public static Parsed<DeploymentPush> Parse(JsonNode? node)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        if (node is not JsonObject o) return new(null, [new("deployment", "expected an object")]);
        var sid = Str(o, "sid");
        if (sid is null) problems.Add(new("deployment.sid", "is required"));
        var triggerText = Str(o, "trigger");
        if (!Triggers.TryParse(triggerText, out var trigger)) problems.Add(new("deployment.trigger", $"unknown trigger \"{triggerText}\""));
        var seeds = ImmutableArray.CreateBuilder<PushedSeedDeployment>();
        if (o["seed_deployments"] is JsonArray list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                var path = $"deployment.seed_deployments[{i}]";
                if (list[i] is not JsonObject sd || sd["seed"] is not JsonObject seed) { problems.Add(new(path, "expected an object with a seed")); continue; }
                var actionText = Str(sd, "action");
                PolicyAction? action = PolicyActions.TryParse(actionText, out var a) ? a : null;
                var tags = ImmutableArray.CreateBuilder<Tag>();
                if (seed["tags"] is JsonArray tagList)
                {
                    foreach (var t in tagList.OfType<JsonObject>())
                    {
                        if (Str(t, "key") is { } k) tags.Add(new Tag(k, Str(t, "value") ?? ""));
                    }
                }
                var seedSid = Str(seed, "sid");
                var artifact = Str(seed, "artifact");
                if (seedSid is null || artifact is null) { problems.Add(new($"{path}.seed", "sid and artifact are required")); continue; }
                seeds.Add(new PushedSeedDeployment(Str(sd, "subscription_sid") ?? "", action,
                    new PushedSeed(seedSid, Str(seed, "name") ?? "", Str(seed, "seed_type") ?? "", artifact, tags.ToImmutable())));
            }
        }
        if (problems.Count > 0) return new(null, problems.ToImmutable());
        return new(new DeploymentPush(Str(o, "request_id"), sid!, trigger, Bool(o, "approved"), Bool(o, "skipped"), seeds.ToImmutable()), []);
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    private static bool Bool(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
}
