using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sower.Cli.Commands;

/// <summary>
/// The policy, seed type and time zone of one subscription of a garden configuration (client.json), for
/// <c>sower policy eval --config FILE --subscription NAME</c>.
/// </summary>
public sealed record PolicyFromGardenConfig(string Name, JsonNode? Policy, string? SeedType, string? Timezone)
{
    public static PolicyFromGardenConfig Read(string path, string? subscription)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new InvalidInputException($"cannot read garden configuration \"{path}\": {reason}");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"garden configuration \"{path}\" is not valid JSON: {e.Message}");
        }
        if (root is not JsonObject config || config["subscriptions"] is not JsonObject subscriptions)
        {
            throw new InvalidInputException($"\"{path}\" is not a garden configuration (no \"subscriptions\" object); for a policy file use --policy FILE --seed-type TYPE");
        }
        var names = subscriptions.Select(s => s.Key).ToList();
        var known = names.Count == 0 ? "it has none" : $"it has: {string.Join(", ", names)}";
        string name;
        if (subscription is null)
        {
            if (names.Count != 1) throw new InvalidInputException($"name the subscription with --subscription NAME ({known})");
            name = names[0];
        }
        else
        {
            if (!subscriptions.ContainsKey(subscription)) throw new InvalidInputException($"no subscription \"{subscription}\" in \"{path}\" ({known})");
            name = subscription;
        }
        var entry = subscriptions[name] as JsonObject
                    ?? throw new InvalidInputException($"subscription \"{name}\" in \"{path}\" is not an object");
        static string? Text(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        // A subscription without "policy" has the default policy (null), as in the garden.
        return new PolicyFromGardenConfig($"subscription \"{name}\" of \"{path}\"", entry["policy"]?.DeepClone(), Text(entry, "seed_type"), Text(entry, "timezone"));
    }
}
