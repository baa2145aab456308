using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sower.Messages.Domain;

/// <summary>How much a process logs: a default level and, per area (a logging category or a prefix of one, such as
/// <c>Sower.Actors.Server.GardenActor</c> or <c>Akka.Cluster</c>), its own level. Read from the <c>logging</c> section of
/// the server's and the garden's configuration files (<c>{"level": "info", "levels": {"Sower.Actors.Server": "debug"}}</c>).
/// Levels are kept as Microsoft.Extensions.Logging level names (<c>Trace</c> … <c>Critical</c>, <c>None</c>): this
/// project has no logging dependency, the hosts parse them.</summary>
public sealed record LoggingLevels(string Default, ImmutableSortedDictionary<string, string> Areas)
{
    /// <summary>The level names a file may use, in order of severity, each with its short spelling.</summary>
    public static readonly ImmutableArray<string> Names = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];

    private static readonly ImmutableDictionary<string, string> ShortNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["info"] = "Information",
        ["warn"] = "Warning",
        ["fail"] = "Error",
        ["crit"] = "Critical",
    }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>What a file is told it may write, in problems.</summary>
    public static string Allowed => "trace, debug, info (information), warn (warning), error, critical or none";

    /// <summary>Information everywhere: what a process logs without a <c>logging</c> section.</summary>
    public static LoggingLevels Information { get; } = new("Information", ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal));

    public LoggingLevels WithDefault(string level) => this with { Default = level };

    /// <summary>The lowest level any area logs at: what Akka's own filter must let through for the per-area
    /// filters to see an event.</summary>
    public string Lowest => Areas.Values.Append(Default).MinBy(l => Names.IndexOf(l))!;

    /// <summary>The canonical name of a level (<c>info</c> → <c>Information</c>, case-insensitive), or null.</summary>
    public static string? Canonical(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var text = raw.Trim();
        if (ShortNames.TryGetValue(text, out var full)) return full;
        return Names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether <paramref name="area"/> can name a logging category or a prefix of one (a dotted name of letters,
    /// digits, <c>_</c> and <c>-</c>).</summary>
    public static bool IsArea(string area) =>
        area.Length is > 0 and <= 200 && area[0] != '.' && area[^1] != '.' && !area.Contains("..", StringComparison.Ordinal)
        && area.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The <c>logging</c> section of a configuration file (null: none). Every problem is reported with its path
    /// under <paramref name="path"/>; the levels returned are the defaults where a value is wrong.</summary>
    public static LoggingLevels Parse(JsonNode? node, string path, ICollection<ValidationProblem> problems)
    {
        if (node is null) return Information;
        if (node is not JsonObject section)
        {
            problems.Add(new(path, $"expected an object such as {{\"level\": \"info\", \"levels\": {{\"Sower.Actors.Server\": \"debug\"}}}}, got {node.ToJsonString()}"));
            return Information;
        }
        var result = Information;
        foreach (var (key, value) in section)
        {
            switch (key)
            {
                case "level":
                    if (Level(value, $"{path}.level", problems) is { } level) result = result with { Default = level };
                    break;
                case "levels":
                    result = result with { Areas = ParseAreas(value, $"{path}.levels", problems) };
                    break;
                default:
                    problems.Add(new($"{path}.{key}", "unknown setting (known: level, levels)"));
                    break;
            }
        }
        return result;
    }

    /// <summary>The <c>levels</c> object alone (area → level), e.g. from an environment variable holding its JSON text.</summary>
    public static ImmutableSortedDictionary<string, string> ParseAreas(string json, string path, ICollection<ValidationProblem> problems)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e)
        {
            problems.Add(new(path, $"is not valid JSON: {e.Message}"));
            return Information.Areas;
        }
        return ParseAreas(node, path, problems);
    }

    private static ImmutableSortedDictionary<string, string> ParseAreas(JsonNode? node, string path, ICollection<ValidationProblem> problems)
    {
        var areas = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (node is null) return areas.ToImmutable();
        if (node is not JsonObject map)
        {
            problems.Add(new(path, $"expected an object of areas and levels (for example {{\"Sower.Actors.Server\": \"debug\"}}), got {node.ToJsonString()}"));
            return areas.ToImmutable();
        }
        foreach (var (area, value) in map)
        {
            if (!IsArea(area))
            {
                problems.Add(new($"{path}.{area}", "an area is a logging category or its start, a dotted name such as Sower.Actors.Server or Akka.Cluster"));
                continue;
            }
            if (Level(value, $"{path}.{area}", problems) is { } level) areas[area] = level;
        }
        return areas.ToImmutable();
    }

    private static string? Level(JsonNode? value, string path, ICollection<ValidationProblem> problems)
    {
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var level = Canonical(text);
        if (level is null) problems.Add(new(path, $"must be one of {Allowed}, got {value?.ToJsonString() ?? "null"}"));
        return level;
    }
}
