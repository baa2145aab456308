using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sower.Messages.Activator;

/// <summary>
/// The activator wire format (REFERENCE §7.2), version 1: one request line in, JSON frame lines out.
/// Parsing is strict on purpose — the activator runs as root: a value of the wrong JSON type, a duplicate key,
/// comments, trailing commas, invalid UTF-8 or nesting deeper than needed all make the request "invalid JSON".
/// Unknown keys are ignored so that a newer client can talk to an older activator.
/// </summary>
public static class ActivatorProtocol
{
    public const int Version = 1;

    /// <summary>A request line may be at most 64 KiB (without its newline).</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>The client must deliver the whole request line within this time.</summary>
    public static readonly TimeSpan RequestDeliveryTimeout = TimeSpan.FromSeconds(5);

    public const string EmptyRequest = "empty request";
    public const string InvalidJson = "invalid JSON";

    private static readonly JsonDocumentOptions StrictOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 4,
    };

    // ---------------------------------------------------------------- requests

    public static string SerializeRequest(ActivatorRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", request.Id);
            w.WriteString("type", request.Type);
            WriteOptional(w, "path", request.Path);
            WriteOptional(w, "mode", request.Mode);
            WriteOptional(w, "user", request.User);
            WriteOptional(w, "gcroot", request.Gcroot);
            WriteOptional(w, "profile", request.Profile);
            WriteOptional(w, "reason", request.Reason);
            if (request.ConfirmTimeout is { } confirm) w.WriteNumber("confirm_timeout", confirm);
            WriteOptional(w, "deployment", request.Deployment);
            if (request.Seeds is not null)
            {
                w.WriteStartArray("seeds");
                foreach (var seed in request.Seeds)
                {
                    w.WriteStartObject();
                    w.WriteString("name", seed.Name);
                    w.WriteString("path", seed.Path);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The request as the line a client sends (JSON plus '\n').</summary>
    public static byte[] SerializeRequestLine(ActivatorRequest request) => Encoding.UTF8.GetBytes(SerializeRequest(request) + "\n");

    /// <summary>
    /// Parses one request line (without its newline; a trailing '\r' is tolerated). Returns the request, or the exact
    /// error text <see cref="EmptyRequest"/> or <see cref="InvalidJson"/>. Never throws.
    /// </summary>
    public static RequestParseResult ParseRequest(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (IsBlank(line)) return RequestParseResult.Failed(EmptyRequest);
        if (line.Length > MaxRequestBytes) return RequestParseResult.Failed(InvalidJson);
        // The whole line must be UTF-8: JsonDocument only checks the strings that are read, not those of ignored keys.
        if (!System.Text.Unicode.Utf8.IsValid(line)) return RequestParseResult.Failed(InvalidJson);
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray(), StrictOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return RequestParseResult.Failed(InvalidJson);
            string? id = null, type = null, path = null, mode = null, user = null, gcroot = null, profile = null, reason = null, deployment = null;
            int? confirmTimeout = null;
            List<ServiceSeed>? seeds = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                if (!seen.Add(p.Name)) return RequestParseResult.Failed(InvalidJson);
                switch (p.Name)
                {
                    case "id": if (!TryString(p.Value, out id)) return RequestParseResult.Failed(InvalidJson); break;
                    case "type": if (!TryString(p.Value, out type)) return RequestParseResult.Failed(InvalidJson); break;
                    case "path": if (!TryString(p.Value, out path)) return RequestParseResult.Failed(InvalidJson); break;
                    case "mode": if (!TryString(p.Value, out mode)) return RequestParseResult.Failed(InvalidJson); break;
                    case "user": if (!TryString(p.Value, out user)) return RequestParseResult.Failed(InvalidJson); break;
                    case "gcroot": if (!TryString(p.Value, out gcroot)) return RequestParseResult.Failed(InvalidJson); break;
                    case "profile": if (!TryString(p.Value, out profile)) return RequestParseResult.Failed(InvalidJson); break;
                    case "reason": if (!TryString(p.Value, out reason)) return RequestParseResult.Failed(InvalidJson); break;
                    case "seeds": if (!TrySeeds(p.Value, out seeds)) return RequestParseResult.Failed(InvalidJson); break;
                    case "deployment": if (!TryString(p.Value, out deployment)) return RequestParseResult.Failed(InvalidJson); break;
                    case "confirm_timeout":
                        if (p.Value.ValueKind == JsonValueKind.Null) break;
                        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var seconds)) return RequestParseResult.Failed(InvalidJson);
                        confirmTimeout = seconds;
                        break;
                    default: break; // unknown keys: ignored (forward compatibility), never acted upon
                }
            }
            var request = new ActivatorRequest(id ?? "", type ?? "")
            {
                Path = path,
                Mode = mode,
                User = user,
                Gcroot = gcroot,
                Profile = profile,
                Reason = reason,
                Seeds = seeds,
                ConfirmTimeout = confirmTimeout,
                Deployment = deployment,
            };
            return RequestParseResult.Parsed(request);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return RequestParseResult.Failed(InvalidJson);
        }
    }

    public static RequestParseResult ParseRequest(string line) => ParseRequest(Encoding.UTF8.GetBytes(line));

    // ---------------------------------------------------------------- frames

    public static string SerializeFrame(ActivatorFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", frame.Id);
            w.WriteString("type", frame.Type);
            if (!string.IsNullOrEmpty(frame.Data)) w.WriteString("data", frame.Data);
            if (frame.Type == ActivatorFrameTypes.Complete) w.WriteNumber("exit_code", frame.ExitCode ?? ActivatorExitCodes.Refused);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The frame as the line the activator writes (JSON plus '\n').</summary>
    public static byte[] SerializeFrameLine(ActivatorFrame frame) => Encoding.UTF8.GetBytes(SerializeFrame(frame) + "\n");

    /// <summary>Parses one response line strictly (for clients). Returns null and an error text when it is not a frame.</summary>
    public static ActivatorFrame? ParseFrame(string line, out string? error)
    {
        error = null;
        try
        {
            using var doc = JsonDocument.Parse(line, StrictOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("frame is not a JSON object", out error);
            string? id = null, type = null, data = null;
            int? exit = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                if (!seen.Add(p.Name)) return Fail($"duplicate key in frame: {p.Name}", out error);
                switch (p.Name)
                {
                    case "id": if (!TryString(p.Value, out id)) return Fail("frame id is not a string", out error); break;
                    case "type": if (!TryString(p.Value, out type)) return Fail("frame type is not a string", out error); break;
                    case "data": if (!TryString(p.Value, out data)) return Fail("frame data is not a string", out error); break;
                    case "exit_code":
                        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var code)) return Fail("frame exit_code is not an integer", out error);
                        exit = code;
                        break;
                    default: break;
                }
            }
            if (id is null) return Fail("frame has no id", out error);
            if (type is not (ActivatorFrameTypes.Output or ActivatorFrameTypes.Error or ActivatorFrameTypes.Complete)) return Fail($"unknown frame type: {type}", out error);
            if (type == ActivatorFrameTypes.Complete && exit is null) return Fail("complete frame has no exit_code", out error);
            if (type != ActivatorFrameTypes.Complete && exit is not null) return Fail("exit_code on a non-complete frame", out error);
            return new ActivatorFrame(id, type, data, exit);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return Fail("frame is not valid JSON", out error);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static ActivatorFrame? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    // null is accepted for an optional field and means "absent"; any other non-string type is an error.
    private static bool TryString(JsonElement e, out string? value)
    {
        value = null;
        if (e.ValueKind == JsonValueKind.Null) return true;
        if (e.ValueKind != JsonValueKind.String) return false;
        value = e.GetString();
        return true;
    }

    private static bool TrySeeds(JsonElement e, out List<ServiceSeed>? seeds)
    {
        seeds = null;
        if (e.ValueKind == JsonValueKind.Null) return true;
        if (e.ValueKind != JsonValueKind.Array) return false;
        seeds = [];
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return false;
            string? name = null, path = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in item.EnumerateObject())
            {
                if (!seen.Add(p.Name)) return false;
                switch (p.Name)
                {
                    case "name": if (!TryString(p.Value, out name)) return false; break;
                    case "path": if (!TryString(p.Value, out path)) return false; break;
                    default: break;
                }
            }
            seeds.Add(new ServiceSeed(name ?? "", path ?? ""));
        }
        return true;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        }
        return true;
    }
}

/// <summary>The outcome of parsing a request line: the request, or the exact error text.</summary>
public sealed record RequestParseResult(ActivatorRequest? Request, string? Error)
{
    public static RequestParseResult Parsed(ActivatorRequest request) => new(request, null);

    public static RequestParseResult Failed(string error) => new(null, error);
}
