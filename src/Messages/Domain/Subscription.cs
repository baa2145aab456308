using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Sower.Messages.Domain;

/// <summary>A subscription as configured in a garden (REFERENCE §5.1) and mirrored on the server.</summary>
public sealed record SubscriptionSpec(string Name, string SeedName, SeedType SeedType, ImmutableArray<Rule> Rules,
                                      string? Schedule, string? Timezone, Policy Policy)
{
    public bool Equals(SubscriptionSpec? other) =>
        other is not null && Name == other.Name && SeedName == other.SeedName && SeedType == other.SeedType &&
        Seq.Equal(Rules, other.Rules) && Schedule == other.Schedule && Timezone == other.Timezone && Policy.Equals(other.Policy);

    public override int GetHashCode() => HashCode.Combine(Name, SeedName, SeedType, Seq.Hash(Rules), Schedule, Timezone, Policy);

    /// <summary>Readable for logs: the wire form.</summary>
    public override string ToString() =>
        Enum.IsDefined(SeedType)
            ? SubscriptionJson.ToJson(this).ToJsonString(PolicyJson.Display)
            : $"{Name}: seed {SeedName} of unknown type {(int)SeedType}, policy {Policy}";
}

/// <summary>Reads one subscription object of a garden config or of a sync message, reporting every problem with its path.</summary>
public static class SubscriptionJson
{
    private static readonly string[] Fields = ["name", "seed_name", "seed_type", "rules", "schedule", "timezone", "policy"];

    /// <param name="name">The subscription's name (its key in the config's subscriptions map).</param>
    /// <param name="pathPrefix">Prefix of problem paths, e.g. "subscriptions.web01".</param>
    /// <param name="defaultSeedName">Used as seed_name for nixos subscriptions that omit it (the garden's default name).</param>
    public static Parsed<SubscriptionSpec> Parse(string name, JsonNode? node, string pathPrefix, string? defaultSeedName)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        if (string.IsNullOrEmpty(name)) problems.Add(new(pathPrefix, "the subscription name must not be empty"));
        if (node is not JsonObject map)
        {
            problems.Add(new(pathPrefix, $"expected a subscription object with seed_type, got {PolicyJson.Show(node)}"));
            return Parsed<SubscriptionSpec>.Failure(problems.ToImmutable());
        }
        try
        {
            foreach (var (field, _) in map)
            {
                if (Array.IndexOf(Fields, field) < 0)
                {
                    problems.Add(new($"{pathPrefix}.{field}", $"unknown field, expected one of {string.Join(", ", Fields)}"));
                }
            }
        }
        catch (ArgumentException)
        {
            problems.Add(new(pathPrefix, "duplicate key"));
            return Parsed<SubscriptionSpec>.Failure(problems.ToImmutable());
        }

        map.TryGetPropertyValue("name", out var nameNode);
        if (nameNode is not null && PolicyJson.StringOf(nameNode) != name)
        {
            problems.Add(new($"{pathPrefix}.name", $"must equal the subscription's key \"{name}\", got {PolicyJson.Show(nameNode)}"));
        }

        map.TryGetPropertyValue("seed_type", out var typeNode);
        SeedType? seedType = null;
        if (typeNode is null)
        {
            problems.Add(new($"{pathPrefix}.seed_type", $"required: one of {AllTypes}"));
        }
        else if (SeedTypes.TryParse(PolicyJson.StringOf(typeNode), out var parsedType))
        {
            seedType = parsedType;
        }
        else
        {
            problems.Add(new($"{pathPrefix}.seed_type", $"unknown seed type {PolicyJson.Show(typeNode)}, expected one of {AllTypes}"));
        }

        map.TryGetPropertyValue("seed_name", out var seedNameNode);
        string? seedName = null;
        if (seedNameNode is null)
        {
            if (seedType == SeedType.NixOS && !string.IsNullOrEmpty(defaultSeedName)) seedName = defaultSeedName;
            else if (seedType is not null) problems.Add(new($"{pathPrefix}.seed_name", "required (only nixos subscriptions default to the garden's name)"));
        }
        else
        {
            seedName = PolicyJson.StringOf(seedNameNode);
            if (string.IsNullOrEmpty(seedName)) problems.Add(new($"{pathPrefix}.seed_name", $"expected a non-empty string, got {PolicyJson.Show(seedNameNode)}"));
        }

        map.TryGetPropertyValue("rules", out var rulesNode);
        if (!Rules.TryParseList(rulesNode, out var rules, out var rulesError)) problems.Add(new($"{pathPrefix}.rules", rulesError!));

        map.TryGetPropertyValue("schedule", out var scheduleNode);
        string? schedule = null;
        if (scheduleNode is not null)
        {
            schedule = PolicyJson.StringOf(scheduleNode);
            if (schedule is null) problems.Add(new($"{pathPrefix}.schedule", $"expected a cron expression string, got {PolicyJson.Show(scheduleNode)}"));
            else if (!CronSchedule.TryParse(schedule, out _, out var cronError)) problems.Add(new($"{pathPrefix}.schedule", cronError!));
        }

        map.TryGetPropertyValue("timezone", out var zoneNode);
        string? timezone = null;
        if (zoneNode is not null)
        {
            timezone = PolicyJson.StringOf(zoneNode);
            if (timezone is null) problems.Add(new($"{pathPrefix}.timezone", $"expected an IANA time zone id such as \"Europe/Berlin\", got {PolicyJson.Show(zoneNode)}"));
            else if (!Zones.TryGet(timezone, out _)) problems.Add(new($"{pathPrefix}.timezone", Zones.UnknownZone(timezone)));
        }

        map.TryGetPropertyValue("policy", out var policyNode);
        var policy = PolicyJson.Parse(policyNode, $"{pathPrefix}.policy");
        problems.AddRange(policy.Problems);

        return problems.Count > 0
            ? Parsed<SubscriptionSpec>.Failure(problems.ToImmutable())
            : Parsed<SubscriptionSpec>.Success(new SubscriptionSpec(name, seedName!, seedType!.Value, rules, schedule, timezone, policy.Value!));
    }

    /// <summary>The wire form: rules in map form, policy in map form; schedule and timezone omitted when absent.</summary>
    public static JsonObject ToJson(SubscriptionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var json = new JsonObject
        {
            ["name"] = spec.Name,
            ["seed_name"] = spec.SeedName,
            ["seed_type"] = spec.SeedType.ToWire(),
            ["rules"] = Rules.ToJson(spec.Rules.IsDefault ? [] : spec.Rules),
        };
        if (spec.Schedule is not null) json["schedule"] = spec.Schedule;
        if (spec.Timezone is not null) json["timezone"] = spec.Timezone;
        json["policy"] = PolicyJson.ToJson(spec.Policy);
        return json;
    }

    /// <summary>What a loader should warn about: the policy's warnings (<see cref="PolicyJson.Warnings"/>) and rules for the
    /// scheduled trigger on a subscription without a schedule, which nothing can ever trigger (REFERENCE §4.8).</summary>
    public static ImmutableArray<string> Warnings(SubscriptionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var warning in PolicyJson.Warnings(spec.Policy, spec.SeedType)) warnings.Add($"subscription \"{spec.Name}\": {warning}");
        if (spec.Schedule is null && !spec.Policy.IsDefault)
        {
            foreach (var rule in spec.Policy.Rules)
            {
                if (rule.Triggers is { } triggers && triggers.Contains(Trigger.Scheduled))
                {
                    warnings.Add($"subscription \"{spec.Name}\": policy rule \"{rule.Name}\" is for the scheduled trigger, but the subscription has no schedule, so it never applies");
                }
            }
        }
        return warnings.ToImmutable();
    }

    private static string AllTypes => string.Join(", ", SeedTypes.All.Select(t => t.ToWire()));
}
