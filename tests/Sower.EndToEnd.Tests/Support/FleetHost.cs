using System.Text.Json.Nodes;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// One host of a fleet scenario: its own activator (own system profile, the fleet's reboot command), its garden (with
/// labels and whatever else the scenario configures), and its own records directory holding the host's
/// <c>booted-system</c> and <c>current-system</c> links. Several hosts deploy the same artifacts; what a fake
/// switch-to-configuration records goes to the artifacts' scenario, so the host's own links are set by the test.
/// </summary>
public sealed class FleetHost(string name, ActivatorHandle activator, GardenHandle garden, string gardenSid, string records)
{
    /// <summary>The short name the reboot record uses (a1, b1, …).</summary>
    public string Name { get; } = name;
    public ActivatorHandle Activator { get; } = activator;
    public GardenHandle Garden { get; } = garden;
    public string GardenSid { get; } = gardenSid;
    public string Records { get; } = records;

    /// <summary>The host booted and runs <paramref name="system"/> (what its boot into that system leaves behind).</summary>
    public void Runs(string system) => Runs(Records, system);

    public static void Runs(string records, string system)
    {
        foreach (var link in new[] { "booted-system", "current-system" })
        {
            var file = Path.Combine(records, link);
            File.Delete(file); // the link itself; nothing when there is none
            File.CreateSymbolicLink(file, system);
        }
    }

    public override string ToString() => $"{Name} ({Garden.Name})";
}

/// <summary>
/// The fleet's record of reboots, one file in file order: each activator's reboot command appends <c>start HOST TIME</c>;
/// the test's simulated boot appends <c>end HOST TIME</c> once the host is up again, before its garden starts (so nothing a
/// garden does after its reboot can come before its <c>end</c>). Assertions use the order of the lines, never the times.
/// </summary>
public sealed class RebootRecord(string file)
{
    public string FilePath { get; } = file;

    /// <summary>The operator's <c>reboot_command</c> of one host: record the start (the real one would reboot now).</summary>
    public JsonArray CommandFor(string host) =>
        new("/bin/sh", "-c", $"echo \"start {host} $(date -u +%FT%T.%NZ)\" >> {FilePath}");

    private readonly Lock _appending = new();

    /// <summary>Records a host's boot. Hosts boot concurrently: .NET's append seeks to the end and then writes (no
    /// O_APPEND), so two unlocked appends can land on the same offset and one line is lost.</summary>
    public void End(string host)
    {
        lock (_appending) File.AppendAllText(FilePath, $"end {host} {DateTime.UtcNow:O}\n");
    }

    /// <summary>(event, host) in the order they happened.</summary>
    public IReadOnlyList<(string Event, string Host)> Events() =>
        !File.Exists(FilePath) ? [] : File.ReadAllLines(FilePath).Where(l => l.Length > 0)
            .Select(l => l.Split(' ')).Select(p => (p[0], p[1])).ToList();

    public IReadOnlyList<string> Started() => Events().Where(e => e.Event == "start").Select(e => e.Host).ToList();

    /// <summary>Each reboot as the line numbers of its start and its end (-1 while it runs).</summary>
    public IReadOnlyList<(string Host, int Start, int End)> Intervals()
    {
        var events = Events();
        var result = new List<(string Host, int Start, int End)>();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Event != "start") continue;
            var end = -1;
            for (var j = i + 1; j < events.Count; j++)
            {
                if (events[j] == ("end", events[i].Host)) { end = j; break; }
            }
            result.Add((events[i].Host, i, end));
        }
        return result;
    }

    public string Text() => File.Exists(FilePath) ? File.ReadAllText(FilePath) : "(no reboots recorded)";
}
