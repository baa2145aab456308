using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Reads and writes <c>&lt;state_directory&gt;/state.json</c> (REFERENCE §5.2): directory 0700, file 0600, every write to a
/// temp file that is then renamed, so a crash never leaves half-written state. Thread-safe: one lock per store.
/// </summary>
public sealed class GardenStateStore
{
    public const string FileName = "state.json";
    private readonly object _gate = new();
    private GardenLocalState _current;

    public GardenStateStore(string directory)
    {
        Directory = directory;
        _current = Read();
    }

    public string Directory { get; }
    public string FilePath => Path.Combine(Directory, FileName);

    public GardenLocalState Current { get { lock (_gate) return _current; } }

    public GardenLocalState Update(Func<GardenLocalState, GardenLocalState> change)
    {
        lock (_gate)
        {
            var next = change(_current);
            Write(next);
            _current = next;
            return next;
        }
    }

    /// <summary>Creates the state directory with mode 0700 (and tightens an existing one).</summary>
    public static void EnsureDirectory(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private GardenLocalState Read()
    {
        if (!File.Exists(FilePath)) return GardenLocalState.Empty;
        try
        {
            return Deserialize(File.ReadAllText(FilePath)) ?? GardenLocalState.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidDataException($"cannot read the garden state {FilePath}: {e.Message}", e);
        }
    }

    private void Write(GardenLocalState state)
    {
        EnsureDirectory(Directory);
        var temp = FilePath + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Serialize(state));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, FilePath, overwrite: true);
    }

    public static string Serialize(GardenLocalState state)
    {
        var o = new JsonObject
        {
            ["v"] = 1,
            ["garden_sid"] = state.GardenSid,
            ["credential"] = state.Credential,
            ["host_identifier"] = state.HostIdentifier,
        };
        if (state.PendingEnrollment is { } ticket)
        {
            o["pending_enrollment"] = new JsonObject { ["garden_sid"] = ticket.GardenSid, ["enrollment_sid"] = ticket.EnrollmentSid, ["claim"] = ticket.Claim };
        }
        if (state.Subscriptions is { } subs)
        {
            o["subscriptions"] = new JsonArray(subs.Select(s => (JsonNode?)new JsonObject
            {
                ["sid"] = s.Sid,
                ["spec"] = SubscriptionJson.ToJson(s.Spec),
            }).ToArray());
        }
        var fires = new JsonObject();
        foreach (var (name, at) in state.LastFires.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            fires[name] = InstantPattern.ExtendedIso.Format(at);
        }
        o["last_fires"] = fires;
        var services = new JsonObject();
        foreach (var (sid, seed) in state.Services.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            services[sid] = new JsonObject { ["name"] = seed.Name, ["path"] = seed.Path };
        }
        o["active_services"] = services;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static GardenLocalState? Deserialize(string text)
    {
        if (JsonNode.Parse(text) is not JsonObject o) return null;
        if ((int?)o["v"] != 1) throw new JsonException($"unsupported state version {o["v"]?.ToJsonString()}");
        ImmutableArray<SyncedSubscription>? subs = null;
        if (o["subscriptions"] is JsonArray list)
        {
            var builder = ImmutableArray.CreateBuilder<SyncedSubscription>();
            foreach (var item in list.OfType<JsonObject>())
            {
                var sid = (string?)item["sid"];
                var specNode = item["spec"]?.DeepClone();
                var name = (string?)specNode?["name"];
                if (sid is null || name is null) continue;
                var parsed = SubscriptionJson.Parse(name, specNode, $"state.subscriptions.{name}", null);
                if (parsed.Ok) builder.Add(new SyncedSubscription(sid, parsed.Value!));
            }
            subs = builder.ToImmutable();
        }
        var fires = ImmutableDictionary.CreateBuilder<string, Instant>(StringComparer.Ordinal);
        if (o["last_fires"] is JsonObject fireMap)
        {
            foreach (var (name, value) in fireMap)
            {
                var parse = InstantPattern.ExtendedIso.Parse((string?)value ?? "");
                if (parse.Success) fires[name] = parse.Value;
            }
        }
        var services = ImmutableDictionary.CreateBuilder<string, Sower.Messages.Activator.ServiceSeed>(StringComparer.Ordinal);
        if (o["active_services"] is JsonObject serviceMap)
        {
            foreach (var (sid, value) in serviceMap)
            {
                if ((string?)value?["name"] is { } name && (string?)value?["path"] is { } path) services[sid] = new Sower.Messages.Activator.ServiceSeed(name, path);
            }
        }
        EnrollmentTicket? ticket = o["pending_enrollment"] is JsonObject p && (string?)p["garden_sid"] is { } g && (string?)p["enrollment_sid"] is { } e
            && (string?)p["claim"] is { } c ? new EnrollmentTicket(g, e, c) : null;
        return new GardenLocalState((string?)o["garden_sid"], (string?)o["credential"], (string?)o["host_identifier"], subs, fires.ToImmutable(), services.ToImmutable(),
            ticket);
    }
}
