using System.Text;
using System.Text.Json.Nodes;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>How commands print: JSON (one compact object per line) for scripts, aligned tables and colour for people.</summary>
public static class Output
{
    public static void Json(CliIo io, JsonNode node) => io.Out.WriteLine(CliJson.Write(node));

    /// <summary>An aligned table with a header; cells are plain text (colour is applied after padding).</summary>
    public static void Table(CliIo io, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, Func<int, string, string?>? colour = null)
    {
        var all = rows.ToList();
        if (all.Count == 0)
        {
            io.Out.WriteLine("(none)");
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        io.Out.WriteLine(Style(io, Line(headers, widths, null, io), "1"));
        foreach (var row in all) io.Out.WriteLine(Line(row, widths, colour, io));
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths, Func<int, string, string?>? colour, CliIo io)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i] : "";
            var padded = i == widths.Length - 1 ? cell : cell.PadRight(widths[i]);
            sb.Append(colour?.Invoke(i, cell) is { } code ? Style(io, padded, code) : padded);
            if (i < widths.Length - 1) sb.Append("  ");
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>Key: value lines for one object.</summary>
    public static void Fields(CliIo io, IEnumerable<(string Key, string? Value)> fields)
    {
        var list = fields.ToList();
        var width = list.Max(f => f.Key.Length) + 1;
        foreach (var (key, value) in list) io.Out.WriteLine($"{(key + ":").PadRight(width)} {value ?? "-"}");
    }

    public static string Style(CliIo io, string text, string sgr) => io.Color ? $"\u001b[{sgr}m{text}\u001b[0m" : text;

    /// <summary>Green for good outcomes, red for bad ones, yellow for waiting ones.</summary>
    public static string? StatusColour(string value) => value switch
    {
        "success" or "completed" or "online" or "up" or "yes" or "allow" or "ok" => "32",
        "failure" or "partial" or "rolled_back" or "stale" or "failing" or "offline" or "down" or "unreachable" or "deny" or "no" => "31",
        "warning" or "awaiting_approval" or "dispatched" or "acknowledged" or "confirm" or "pending" or "downloading" or "activating" or "joining" or "leaving" => "33",
        _ => null,
    };

    public static string Text(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0 ? "\"\"" : s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "yes" : "no",
        _ => node.ToJsonString(),
    };

    public static string? Str(JsonNode? node, string key) => node?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static bool Bool(JsonNode? node, string key) => node?[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public static int Int(JsonNode? node, string key) => node?[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0;

    public static JsonArray Array(JsonNode? node, string key) => node?[key] as JsonArray ?? [];

    /// <summary>A copy of <paramref name="source"/> with exactly <paramref name="fields"/>, missing ones as null (stable --json shapes).</summary>
    public static JsonObject Pick(JsonNode? source, params string[] fields)
    {
        var o = new JsonObject();
        foreach (var f in fields) o[f] = source?[f]?.DeepClone();
        return o;
    }
}

/// <summary>A one-line progress display on stderr, only when stderr is a terminal; otherwise silent.</summary>
public sealed class Progress(CliIo io) : IDisposable
{
    private static readonly string[] Frames = ["|", "/", "-", "\\"];
    private int _frame;
    private bool _shown;

    public void Update(string status)
    {
        if (!io.ErrorIsTerminal) return;
        var text = $"{Frames[_frame++ % Frames.Length]} {status}";
        io.Err.Write("\r\u001b[2K" + text);
        io.Err.Flush();
        _shown = true;
    }

    /// <summary>Prints a line above the progress line.</summary>
    public void Line(TextWriter writer, string line)
    {
        Clear();
        writer.WriteLine(line);
    }

    public void Clear()
    {
        if (!_shown) return;
        io.Err.Write("\r\u001b[2K");
        io.Err.Flush();
        _shown = false;
    }

    public void Dispose() => Clear();
}
