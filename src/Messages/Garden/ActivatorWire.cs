using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sower.Messages.Garden;

/// <summary>
/// The activator protocol as the garden speaks it (REFERENCE §7.2): one JSON request line, then output/error/complete frames.
/// Kept in this one file so it can follow the activator's own records in src/Messages/Activator once they land.
/// </summary>
public sealed record ActivatorRequest(
    string Id,
    string Type,
    string? Path = null,
    string? Mode = null,
    string? User = null,
    string? GcRoot = null,
    string? Profile = null,
    string? Reason = null,
    ImmutableArray<ActivatorSeed>? Seeds = null)
{
    public string ToJsonLine()
    {
        var o = new JsonObject { ["id"] = Id, ["type"] = Type };
        if (Path is not null) o["path"] = Path;
        if (Mode is not null) o["mode"] = Mode;
        if (User is not null) o["user"] = User;
        if (GcRoot is not null) o["gcroot"] = GcRoot;
        if (Profile is not null) o["profile"] = Profile;
        if (Reason is not null) o["reason"] = Reason;
        if (Seeds is { } seeds) o["seeds"] = new JsonArray(seeds.Select(s => (JsonNode?)new JsonObject { ["name"] = s.Name, ["path"] = s.Path }).ToArray());
        return o.ToJsonString() + "\n";
    }

    public static ActivatorRequest? FromJson(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject o) return null;
            ImmutableArray<ActivatorSeed>? seeds = o["seeds"] is JsonArray a
                ? a.OfType<JsonObject>().Select(s => new ActivatorSeed((string?)s["name"] ?? "", (string?)s["path"] ?? "")).ToImmutableArray()
                : null;
            return new ActivatorRequest((string?)o["id"] ?? "", (string?)o["type"] ?? "", (string?)o["path"], (string?)o["mode"],
                (string?)o["user"], (string?)o["gcroot"], (string?)o["profile"], (string?)o["reason"], seeds);
        }
        catch (JsonException) { return null; }
    }
}

public sealed record ActivatorSeed(string Name, string Path);

/// <summary>One response frame: <c>output</c>, <c>error</c> or the final <c>complete</c> with its exit code.</summary>
public sealed record ActivatorFrame(string Id, string Type, string? Data, int? ExitCode)
{
    public const string Output = "output";
    public const string Error = "error";
    public const string Complete = "complete";

    public static ActivatorFrame? Parse(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject o) return null;
            int? exit = o["exit_code"] is JsonValue v && v.TryGetValue<int>(out var e) ? e : null;
            return new ActivatorFrame((string?)o["id"] ?? "", (string?)o["type"] ?? "", (string?)o["data"], exit);
        }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    public string ToJsonLine()
    {
        var o = new JsonObject { ["id"] = Id, ["type"] = Type };
        if (!string.IsNullOrEmpty(Data)) o["data"] = Data;
        if (ExitCode is { } code) o["exit_code"] = code;
        return o.ToJsonString() + "\n";
    }
}
