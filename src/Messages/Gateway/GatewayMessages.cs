using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Sower.Messages.Gateway;

// Wire shapes of the gateway (REFERENCE §5.17), serialized with GatewayProtocol.Json (snake_case). Inbound records are
// parsed leniently by System.Text.Json and then validated field by field, so a bad payload gets every problem back.

/// <summary>Every hub method returns this: ok with a body, or an error with a code (and field problems).</summary>
public sealed record GatewayReply(bool Ok, JsonNode? Body, GatewayError? Error)
{
    public static GatewayReply Success(JsonNode? body = null) => new(true, body ?? new JsonObject(), null);

    public static GatewayReply Failure(string code, string message, ImmutableArray<GatewayFieldError>? errors = null) =>
        new(false, null, new GatewayError(code, message, errors ?? []));

    /// <summary>The error's code, null when ok (not on the wire: the garden's shorthand).</summary>
    [JsonIgnore]
    public string? ErrorCode => Error?.Code;

    [JsonIgnore]
    public string? ErrorMessage => Error?.Message;
}

public sealed record GatewayError(string Code, string Message, ImmutableArray<GatewayFieldError> Errors);

public sealed record GatewayFieldError(string Path, string Message);

// ── garden → server ──

public sealed record JoinMessage(int? ProtocolVersion, string? Version) : IGatewayRequest;

public sealed record JoinAccepted(string GardenSid, string GardenName, string ConnectionSid, int ProtocolVersion);

/// <summary>Labels (issue 14.1) are optional: a garden that sends none keeps the labels it had.</summary>
public sealed record SubscriptionsSyncMessage(JsonArray? Subscriptions, JsonObject? Labels = null) : IGatewayRequest;

public sealed record DeploymentRequestMessage(string? RequestId, ImmutableArray<string>? SubscriptionSids, string? Trigger, bool? Force) : IGatewayRequest;

public sealed record DeploymentStatusMessage(string? DeploymentSid, string? Status) : IGatewayRequest;

public sealed record SeedStatusMessage(string? DeploymentSid, string? SeedSid, string? Status) : IGatewayRequest;

public sealed record SeedResultMessage(string? DeploymentSid, string? SeedSid, string? Result, string? Action, string? Log) : IGatewayRequest;

public sealed record DeploymentResultMessage(string? RequestId, string? DeploymentSid, string? Result, string? DeployedAt) : IGatewayRequest;

public sealed record SeedsReportMessage(ImmutableArray<ProfileReportMessage>? Profiles) : IGatewayRequest;

public sealed record ProfileReportMessage(string? ProfilePath, Dictionary<string, string>? Tags, ImmutableArray<GenerationReportMessage>? Generations);

public sealed record GenerationReportMessage(string? Path, string? Link, string? Created, int? GenerationNumber, bool? IsCurrent);

public sealed record GardenReportMessage(string? Version) : IGatewayRequest;

public sealed record PingMessage(string? Ref) : IGatewayRequest;

// ── server → garden (frozen contract: tests/Sower.Server.Tests/Gateway/push-schema.json) ──

public sealed record DeploymentPush(
    string RequestId,
    string Sid,
    string Trigger,
    bool Approved,
    bool Skipped,
    ImmutableArray<SeedDeploymentPush> SeedDeployments);

public sealed record SeedDeploymentPush(string SubscriptionSid, string Action, SeedPush Seed);

public sealed record SeedPush(string Sid, string Name, string SeedType, string Artifact, ImmutableArray<TagPush> Tags);

public sealed record TagPush(string Key, string Value);

public sealed record DeploymentErrorPush(string RequestId, string Reason);
