using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;
using Sower.Messages.Gateway;

namespace Sower.Messages.GardenDaemon;

/// <summary>A seed of a deployment as the garden runs it: the pushed <see cref="SeedPush"/> with its type read.</summary>
public sealed record GardenSeed(string Sid, string Name, string SeedTypeWire, string Artifact, ImmutableArray<Tag> Tags)
{
    public SeedType? SeedType => SeedTypes.TryParse(SeedTypeWire, out var t) ? t : null;
}

/// <summary>A pushed <see cref="SeedDeploymentPush"/>: the action is null when the server sent one this garden does not know.</summary>
public sealed record GardenSeedDeployment(string SubscriptionSid, PolicyAction? Action, GardenSeed Seed);

/// <summary>
/// A deployment as the garden runs it: the server's <see cref="DeploymentPush"/> (the frozen contract, REFERENCE §5.17) read
/// into the domain's enums and checked, so the garden's actors never handle wire strings.
/// </summary>
public sealed record GardenDeployment(
    string? RequestId,
    string Sid,
    Trigger Trigger,
    bool Approved,
    bool Skipped,
    ImmutableArray<GardenSeedDeployment> Seeds)
{
    /// <summary>Reads the push payload (as received, or as the garden journaled it) into the contract's record, then checks it.</summary>
    public static Parsed<GardenDeployment> Parse(JsonNode? node)
    {
        if (node is not JsonObject) return new(null, [new("deployment", "expected an object")]);
        DeploymentPush? push;
        try { push = node.Deserialize<DeploymentPush>(GatewayProtocol.Json); }
        catch (JsonException e) { return new(null, [new("deployment", e.Message)]); }
        return push is null ? new(null, [new("deployment", "expected an object")]) : From(push);
    }

    /// <summary>Checks a push: sid and trigger are required, every seed needs a sid and an artifact; a missing name or tag value reads as empty.</summary>
    public static Parsed<GardenDeployment> From(DeploymentPush push)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        if (push.Sid is null) problems.Add(new("deployment.sid", "is required"));
        if (!Triggers.TryParse(push.Trigger, out var trigger)) problems.Add(new("deployment.trigger", $"unknown trigger \"{push.Trigger}\""));
        var seeds = ImmutableArray.CreateBuilder<GardenSeedDeployment>();
        var list = push.SeedDeployments.IsDefault ? [] : push.SeedDeployments;
        for (var i = 0; i < list.Length; i++)
        {
            var path = $"deployment.seed_deployments[{i}]";
            if (list[i] is not { Seed: { } seed } item) { problems.Add(new(path, "expected an object with a seed")); continue; }
            if (seed.Sid is null || seed.Artifact is null) { problems.Add(new($"{path}.seed", "sid and artifact are required")); continue; }
            PolicyAction? action = PolicyActions.TryParse(item.Action, out var a) ? a : null;
            var tags = seed.Tags.IsDefault ? [] : seed.Tags.Where(t => t is { Key: not null }).Select(t => new Tag(t.Key, t.Value ?? "")).ToImmutableArray();
            seeds.Add(new GardenSeedDeployment(item.SubscriptionSid ?? "", action, new GardenSeed(seed.Sid, seed.Name ?? "", seed.SeedType ?? "", seed.Artifact, tags)));
        }
        if (problems.Count > 0) return new(null, problems.ToImmutable());
        return new(new GardenDeployment(push.RequestId, push.Sid!, trigger, push.Approved, push.Skipped, seeds.ToImmutable()), []);
    }

    /// <summary>Back to the contract's record (what the garden journals, so a restart reads it with <see cref="Parse"/>).</summary>
    public DeploymentPush ToPush() => new(
        RequestId!,
        Sid,
        Trigger.ToWire(),
        Approved,
        Skipped,
        [.. Seeds.Select(s => new SeedDeploymentPush(
            s.SubscriptionSid,
            s.Action is { } a ? a.ToWire() : null!,
            new SeedPush(s.Seed.Sid, s.Seed.Name, s.Seed.SeedTypeWire, s.Seed.Artifact, [.. s.Seed.Tags.Select(t => new TagPush(t.Key, t.Value))])))]);

    public string ToJson() => JsonSerializer.Serialize(ToPush(), GatewayProtocol.Json);
}

/// <summary>The <c>deployment:error</c> push read: the server could not create the deployment a request asked for.</summary>
public static class DeploymentErrors
{
    public static DeploymentErrorPush? Parse(JsonNode? node)
    {
        if (node is not JsonObject) return null;
        try { return node.Deserialize<DeploymentErrorPush>(GatewayProtocol.Json); }
        catch (JsonException) { return null; }
    }
}
