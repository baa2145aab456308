using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sower.Messages.Gateway;

/// <summary>
/// The garden ↔ server gateway contract (docs/gateway-protocol.md): SignalR hub at /hubs/garden, JSON protocol,
/// snake_case payloads. Hub method names are the §5.17 message names; every invocation returns a GatewayReply.
/// </summary>
public static class GatewayProtocol
{
    /// <summary>Bump only for breaking changes of the frozen push contract; gardens of another version are refused at join.</summary>
    public const int Version = 1;

    public const string HubPath = "/hubs/garden";

    // Hub methods (garden → server).
    public const string Join = "join";
    public const string SubscriptionsSync = "subscriptions:sync";
    public const string DeploymentRequest = "deployment:request";
    public const string DeploymentStatus = "deployment:status";
    public const string DeploymentSeedStatus = "deployment:seed_status";
    public const string DeploymentSeedResult = "deployment:seed_result";
    public const string DeploymentResult = "deployment:result";
    public const string GardenSeedsReport = "garden:seeds:report";
    public const string GardenReport = "garden:report";
    public const string Ping = "ping";

    // Reboot lock and inhibition (issue 14.3/14.4): see RebootLockWire.
    public const string RebootLockAcquire = "reboot_lock:acquire";
    public const string RebootLockRelease = "reboot_lock:release";
    public const string GardenInhibition = "garden:inhibition";

    /// <summary><c>status</c> of a <c>deployment:request</c> reply: the deployment is being created and will be pushed.</summary>
    public const string RequestAccepted = "accepted";

    /// <summary><c>status</c> of a <c>deployment:request</c> reply: a confirm rule applies, so it will await approval first.</summary>
    public const string RequestAwaitingApproval = "awaiting_approval";

    // Pushes (server → garden).
    public const string PushDeployment = "deployment";
    public const string PushDeploymentError = "deployment:error";

    /// <summary>Largest payload a hub method accepts (bytes of its JSON); bigger ones get `payload_too_large` and the connection stays.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    /// <summary>SignalR's transport frame limit: a frame above this closes the connection (abuse, not a message).</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    public static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            RespectNullableAnnotations = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Error codes a gateway reply may carry.</summary>
public static class GatewayErrors
{
    public const string InvalidPayload = "invalid_payload";
    public const string PayloadTooLarge = "payload_too_large";
    public const string RateLimited = "rate_limited";
    public const string NotJoined = "not_joined";
    public const string IncompatibleProtocol = "incompatible_protocol";
    public const string Unauthorized = "unauthorized";
    public const string DeploymentNotFound = "deployment_not_found";
    public const string SeedNotInDeployment = "seed_not_in_deployment";
    public const string SubscriptionNotFound = "subscription_not_found";
    public const string PolicyDenied = "policy_denied";
    public const string Unavailable = "unavailable";
    public const string NotLeaseHolder = "not_lease_holder";
}
