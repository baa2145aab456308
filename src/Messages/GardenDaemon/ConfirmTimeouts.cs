using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// <c>subscriptions.&lt;name&gt;.confirm_timeout</c>: seconds the host's activator waits for this garden to reach its server
/// after a switch before it rolls the switch back (default 120, 0 turns it off). A garden-local setting: it is read here
/// and taken out before the subscription is parsed and mirrored to the server, which has no use for it.
/// </summary>
public static class ConfirmTimeouts
{
    public const string Key = "confirm_timeout";

    /// <summary>The garden-wide default (top-level <c>confirm_timeout</c>), 120 s when absent.</summary>
    public static int ReadDefault(JsonNode? node, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (node is null) return GardenConfig.DefaultConfirmTimeoutSeconds;
        if (node is JsonValue v && v.TryGetValue<int>(out var seconds) && seconds is >= 0 and <= 24 * 3600) return seconds;
        problems.Add(new(Key, $"expected whole seconds from 0 (off) to 86400, got {node.ToJsonString()}"));
        return GardenConfig.DefaultConfirmTimeoutSeconds;
    }

    public static ImmutableDictionary<string, int> Read(JsonNode? subscriptions, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var result = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        if (subscriptions is not JsonObject map) return result.ToImmutable();
        foreach (var (name, value) in map)
        {
            if (value is not JsonObject sub || sub[Key] is not { } node) continue;
            if (node is JsonValue v && v.TryGetValue<int>(out var seconds) && seconds is >= 0 and <= 24 * 3600) result[name] = seconds;
            else problems.Add(new($"subscriptions.{name}.{Key}", $"expected whole seconds from 0 (off) to 86400, got {node.ToJsonString()}"));
        }
        return result.ToImmutable();
    }

    /// <summary>The subscriptions without their confirm_timeout keys (a copy; the input is untouched).</summary>
    public static JsonNode? Without(JsonNode? subscriptions)
    {
        if (subscriptions is not JsonObject map || !map.Any(kv => kv.Value is JsonObject o && o.ContainsKey(Key))) return subscriptions;
        var copy = (JsonObject)map.DeepClone();
        foreach (var (_, value) in copy)
        {
            if (value is JsonObject o) o.Remove(Key);
        }
        return copy;
    }
}
