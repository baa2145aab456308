using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// <c>&lt;state_directory&gt;/host-condition.json</c>: the system Sower last deployed, a pending reboot and drift
/// (<see cref="HostCondition"/>). Versioned (<c>"v": 1</c>), 0600, written to a temp file and renamed, so a crash never leaves
/// half-written state; a file that cannot be read is reported and treated as "nothing known" (it only affects reporting and
/// the drift guard, never a deployment's own work). Thread-safe; one store per state directory.
/// </summary>
public sealed class HostConditionStore
{
    public const string FileName = "host-condition.json";
    private static readonly ConditionalWeakTable<GardenStateStore, HostConditionStore> ByState = new();
    private readonly object _gate = new();
    private HostCondition _current;

    public HostConditionStore(string directory)
    {
        Directory = directory;
        (_current, ReadError) = Read(FilePath);
    }

    /// <summary>The store beside a garden's state.json (one per state store, so every actor of a garden shares it).</summary>
    public static HostConditionStore For(GardenStateStore state) => ByState.GetValue(state, s => new HostConditionStore(s.Directory));

    public string Directory { get; }
    public string FilePath => Path.Combine(Directory, FileName);
    public string? ReadError { get; }

    public HostCondition Current { get { lock (_gate) return _current; } }

    /// <summary>Applies the change; writes and returns true only when the condition changed.</summary>
    public bool Update(Func<HostCondition, HostCondition> change, out HostCondition after)
    {
        lock (_gate)
        {
            after = change(_current);
            if (after == _current) return false;
            Write(after);
            _current = after;
            return true;
        }
    }

    /// <summary>Looks at the host's profile links now (<see cref="HostConditionRules.Observe"/>).</summary>
    public bool Observe(ProfileRoots roots, Instant now, out HostCondition after) =>
        Update(c => HostConditionRules.Observe(c, See(roots), now), out after);

    public static HostObservation See(ProfileRoots roots) => new(
        SymlinkResolver.Canonicalize(roots.SystemProfile, out _),
        SymlinkResolver.Canonicalize(roots.CurrentSystem, out _),
        SymlinkResolver.Canonicalize(roots.BootedSystem, out _));

    private void Write(HostCondition condition)
    {
        GardenStateStore.EnsureDirectory(Directory);
        var temp = FilePath + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Serialize(condition));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, FilePath, overwrite: true);
    }

    public static string Serialize(HostCondition c) => new JsonObject
    {
        ["v"] = 1,
        ["deployed_system"] = c.DeployedSystem,
        ["deployed_seed_sid"] = c.DeployedSeedSid,
        ["reboot_pending"] = c.RebootPending is { } p
            ? new JsonObject { ["system"] = p.System, ["reason"] = p.Reason, ["since"] = InstantPattern.ExtendedIso.Format(p.Since) }
            : null,
        ["drift"] = c.Drift is { } d
            ? new JsonObject { ["expected"] = d.Expected, ["running"] = d.Running, ["detail"] = d.Detail, ["since"] = InstantPattern.ExtendedIso.Format(d.Since) }
            : null,
        ["boot_installing"] = c.BootInstalling,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Reads version 1; anything else is an error (never guessed).</summary>
    public static HostCondition Deserialize(string text)
    {
        if (JsonNode.Parse(text) is not JsonObject o) throw new JsonException("not a JSON object");
        if ((int?)o["v"] != 1) throw new JsonException($"unsupported host condition version {o["v"]?.ToJsonString()}");
        RebootPending? pending = o["reboot_pending"] is JsonObject p && (string?)p["system"] is { } system && (string?)p["reason"] is { } reason
            ? new RebootPending(system, reason, Time(p["since"]))
            : null;
        Drift? drift = o["drift"] is JsonObject d && (string?)d["expected"] is { } expected
            ? new Drift(expected, (string?)d["running"], (string?)d["detail"] ?? "", Time(d["since"]))
            : null;
        return new HostCondition((string?)o["deployed_system"], (string?)o["deployed_seed_sid"], pending, drift, (string?)o["boot_installing"]);
    }

    private static Instant Time(JsonNode? node) =>
        InstantPattern.ExtendedIso.Parse((string?)node ?? "") is { Success: true } r ? r.Value : throw new JsonException("invalid time " + node?.ToJsonString());

    private static (HostCondition, string?) Read(string file)
    {
        if (!File.Exists(file)) return (HostCondition.None, null);
        try
        {
            return (Deserialize(File.ReadAllText(file)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return (HostCondition.None, $"cannot read {file}: {e.Message}");
        }
    }
}
