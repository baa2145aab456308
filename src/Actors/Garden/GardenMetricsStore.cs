using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// The persisted part of <see cref="GardenMetrics"/> in <c>&lt;state_directory&gt;/metrics.json</c> (0600, temp file + fsync
/// + rename): counters, last results and the last server contact survive a restart. Its own file, not the journal, so the
/// metrics never add events to replay; an unreadable file only resets the metrics (a counter reset Prometheus handles).
/// </summary>
public static class GardenMetricsStore
{
    public const string FileName = "metrics.json";

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>The saved metrics, or null when there are none; throws InvalidDataException for a file it cannot read.</summary>
    public static GardenMetrics? Load(string path, string version)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return Deserialize(File.ReadAllText(path), version);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"cannot read the saved garden metrics {path}: {e.Message}", e);
        }
    }

    public static void Save(string path, GardenMetrics metrics)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(Serialize(metrics)));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public static string Serialize(GardenMetrics m)
    {
        var last = new JsonObject();
        foreach (var (name, d) in m.LastDeployments) last[name] = new JsonObject { ["result"] = d.Result, ["at_ms"] = d.At.ToUnixTimeMilliseconds() };
        return new JsonObject
        {
            ["v"] = 1,
            ["last_contact_ms"] = m.LastContact?.ToUnixTimeMilliseconds(),
            ["activations"] = Counts(m.Activations),
            ["deployments"] = Counts(m.Deployments),
            ["rollbacks"] = m.Rollbacks,
            ["last_deployments"] = last,
        }.ToJsonString();
    }

    public static GardenMetrics Deserialize(string text, string version)
    {
        if (JsonNode.Parse(text) is not JsonObject o) throw new JsonException("expected a JSON object");
        if ((int?)o["v"] != 1) throw new JsonException($"unsupported metrics version {o["v"]?.ToJsonString()}");
        var last = ImmutableSortedDictionary.CreateBuilder<string, LastDeployment>(StringComparer.Ordinal);
        if (o["last_deployments"] is JsonObject map)
        {
            foreach (var (name, value) in map)
            {
                if ((string?)value?["result"] is { } result && (long?)value?["at_ms"] is { } at) last[name] = new LastDeployment(result, Instant.FromUnixTimeMilliseconds(at));
            }
        }
        var contact = (long?)o["last_contact_ms"];
        return GardenMetrics.Initial(version) with
        {
            LastContact = contact is { } ms ? Instant.FromUnixTimeMilliseconds(ms) : null,
            Activations = ReadCounts(o["activations"]),
            Deployments = ReadCounts(o["deployments"]),
            Rollbacks = Math.Max(0, (long?)o["rollbacks"] ?? 0),
            LastDeployments = last.ToImmutable(),
        };
    }

    private static JsonObject Counts(IEnumerable<KeyValuePair<string, long>> counts)
    {
        var o = new JsonObject();
        foreach (var (key, count) in counts) o[key] = count;
        return o;
    }

    private static ImmutableSortedDictionary<string, long> ReadCounts(JsonNode? node)
    {
        var counts = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o)
            {
                if (value is JsonValue v && v.TryGetValue<long>(out var count) && count >= 0) counts[key] = count;
            }
        }
        return counts.ToImmutable();
    }
}
