using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;

namespace Sower.Messages.Gateway;

/// <summary>A garden → server hub message: one of the typed records the hub reads (GatewayMessages.cs, RebootLockWire.cs).</summary>
public interface IGatewayRequest;

/// <summary>
/// The garden's side of the one gateway contract: which hub method takes which record, how a record becomes the payload on the
/// wire (<see cref="GatewayProtocol.Json"/>, exactly what the hub reads back), and builders that take the domain's enums so the
/// garden never spells a wire value itself.
/// </summary>
public static class GatewayRequests
{
    private static readonly Dictionary<string, Type> TypesByMethod = new(StringComparer.Ordinal)
    {
        [GatewayProtocol.Join] = typeof(JoinMessage),
        [GatewayProtocol.SubscriptionsSync] = typeof(SubscriptionsSyncMessage),
        [GatewayProtocol.DeploymentRequest] = typeof(DeploymentRequestMessage),
        [GatewayProtocol.DeploymentStatus] = typeof(DeploymentStatusMessage),
        [GatewayProtocol.DeploymentSeedStatus] = typeof(SeedStatusMessage),
        [GatewayProtocol.DeploymentSeedResult] = typeof(SeedResultMessage),
        [GatewayProtocol.DeploymentResult] = typeof(DeploymentResultMessage),
        [GatewayProtocol.GardenSeedsReport] = typeof(SeedsReportMessage),
        [GatewayProtocol.GardenReport] = typeof(GardenReportMessage),
        [GatewayProtocol.Ping] = typeof(PingMessage),
        [GatewayProtocol.RebootLockAcquire] = typeof(RebootLockAcquireMessage),
        [GatewayProtocol.RebootLockRelease] = typeof(RebootLockReleaseMessage),
        [GatewayProtocol.GardenInhibition] = typeof(GardenInhibitionMessage),
        [GardenConditionReport.Method] = typeof(GardenConditionMessage),
    };

    private static readonly Dictionary<Type, string> MethodsByType = TypesByMethod.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>The hub method that takes <paramref name="message"/>.</summary>
    public static string MethodOf(IGatewayRequest message) =>
        MethodsByType.TryGetValue(message.GetType(), out var method) ? method : throw new ArgumentException($"{message.GetType().Name} is no gateway request", nameof(message));

    /// <summary>The payload on the wire: the record in the gateway's snake_case JSON.</summary>
    public static JsonObject ToPayload(IGatewayRequest message) =>
        JsonSerializer.SerializeToNode(message, message.GetType(), GatewayProtocol.Json) as JsonObject ?? new JsonObject();

    /// <summary>Reads a payload of <paramref name="method"/> back into its record; null for an unknown method or a payload of another shape.</summary>
    public static IGatewayRequest? FromPayload(string method, JsonNode? payload)
    {
        if (!TypesByMethod.TryGetValue(method, out var type) || payload is not JsonObject) return null;
        try { return payload.Deserialize(type, GatewayProtocol.Json) as IGatewayRequest; }
        catch (JsonException) { return null; }
        catch (NotSupportedException) { return null; }
    }

    public static JoinMessage Join(string version) => new(GatewayProtocol.Version, version);

    public static DeploymentRequestMessage Request(RequestId requestId, IEnumerable<string> subscriptionSids, Trigger trigger, bool force) =>
        new(requestId.Value, [.. subscriptionSids], trigger.ToWire(), force);

    /// <summary><c>deployment:status</c>: the garden received the deployment and starts it.</summary>
    public static DeploymentStatusMessage Acknowledged(string deploymentSid) => new(deploymentSid, DeploymentState.Acknowledged.ToWire());

    public static SeedStatusMessage SeedStatus(string deploymentSid, string seedSid, SeedDeploymentState state) => new(deploymentSid, seedSid, state.ToWire());

    public static SeedResultMessage SeedResult(string deploymentSid, string seedSid, SeedResult result, ExecutedAction action, string log) =>
        new(deploymentSid, seedSid, result.ToWire(), action.ToWire(), log);

    /// <summary>A seed result as the garden journaled it (result and action as their wire values, null while it runs).</summary>
    public static SeedResultMessage SeedResult(string deploymentSid, string seedSid, string? result, string? action, string log) =>
        new(deploymentSid, seedSid, result, action, log);

    /// <summary>Log lines for a seed that has no result yet.</summary>
    public static SeedResultMessage SeedLog(string deploymentSid, string seedSid, string log) => new(deploymentSid, seedSid, null, null, log);

    public static DeploymentResultMessage DeploymentResult(string? requestId, string deploymentSid, string result, string deployedAt) =>
        new(requestId, deploymentSid, result, deployedAt);

    public static GardenReportMessage GardenReport(string version) => new(version);

    public static RebootLockAcquireMessage AcquireRebootLock(string deploymentSid) => new(deploymentSid);

    /// <summary>The lease is returned from a connection made on the deployed system.</summary>
    public static RebootLockReleaseMessage RebootLockBooted(string deploymentSid) => new(deploymentSid, RebootLockWire.Booted);

    /// <summary>The deployment ended without a reboot.</summary>
    public static RebootLockReleaseMessage RebootLockNotNeeded(string deploymentSid) => new(deploymentSid, RebootLockWire.NotNeeded);

    public static GardenInhibitionMessage Inhibition(string? reason) => new(reason is not null, reason);
}
