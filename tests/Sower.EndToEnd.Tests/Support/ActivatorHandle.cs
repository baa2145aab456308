using System.Text.Json.Nodes;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// One <c>sower-activator</c> behind <c>systemd-socket-activate --accept</c> (one root process per connection, exactly as
/// systemd's Accept=yes), with its own operator configuration: the run's cache and its public key, and isolated
/// gcroot and profile directories (its own "system profile"), and a reboot command that only records the call.
/// </summary>
public sealed class ActivatorHandle : IDisposable
{
    private readonly ManagedProcess _process;

    /// <param name="rebootCommand">The operator's <c>reboot_command</c>; by default one that appends to <see cref="RebootsFile"/>.</param>
    public ActivatorHandle(World world, string name, JsonArray? rebootCommand = null)
    {
        Dir = Path.Combine(world.RunDir, "activators", name);
        Directory.CreateDirectory(Dir);
        Socket = Path.Combine(Dir, "activator.sock");
        SystemProfile = Path.Combine(Dir, "profiles", "system");
        GcrootsDir = Path.Combine(Dir, "gcroots");
        RebootsFile = Path.Combine(Dir, "reboots");
        ConfigFile = Path.Combine(Dir, "activator.json");
        var config = new JsonObject
        {
            ["allowed_groups"] = new JsonArray(World.GardenGroup),
            ["extra_substituters"] = new JsonArray(world.Nix.CacheUrl),
            ["extra_trusted_public_keys"] = new JsonArray(world.Nix.PublicKey),
            ["gcroots_dir"] = GcrootsDir,
            ["user_gcroots_dir"] = Path.Combine(Dir, "gcroots-per-user"),
            ["system_profile"] = SystemProfile,
            ["profiles_dir"] = Path.Combine(Dir, "profiles", "sower"),
            ["services_state_dir"] = Path.Combine(Dir, "services"),
            ["reboot_command"] = rebootCommand ?? new JsonArray("/bin/sh", "-c", $"echo \"reboot requested $(date -u +%FT%TZ)\" >> {RebootsFile}"),
            ["reboot_delay_seconds"] = 0,
            ["rollback_state_dir"] = Path.Combine(Dir, "rollback"),
            ["rollback_timer"] = "process", // no systemd as PID 1 here: the detached-process timer
        };
        File.WriteAllText(ConfigFile, config.ToJsonString());
        File.SetUnixFileMode(ConfigFile, (UnixFileMode)Convert.ToInt32("644", 8));
        Directory.CreateDirectory(Path.GetDirectoryName(SystemProfile)!);
        // This machine is offline: Nix's default substituter (cache.nixos.org) is switched off for the activator,
        // as an operator of an offline host would do in nix.conf; the configured cache comes from extra_substituters.
        _process = new ManagedProcess($"activator {name}", Path.Combine(world.RunDir, "logs", $"activator-{name}.log"),
            ["systemd-socket-activate", "--accept", "-E", "NIX_CONFIG=substituters =", "-l", Socket, world.Binaries.Activator, "--config", ConfigFile]);
    }

    public string Dir { get; }
    public string Socket { get; }
    public string SystemProfile { get; }
    public string GcrootsDir { get; }
    public string RebootsFile { get; }
    public string ConfigFile { get; }
    public string RollbackDir => Path.Combine(Dir, "rollback");

    /// <summary>What the boot-time unit runs: <c>sower-activator --resume-rollbacks</c>, as root, outside any request.</summary>
    public async Task ResumeRollbacksAtBootAsync(World world)
    {
        var run = await Shell.RunAsync(world.Binaries.Activator, ["--config", ConfigFile, "--resume-rollbacks"],
            new Dictionary<string, string> { ["NIX_CONFIG"] = "substituters =" });
        run.EnsureSuccess();
    }

    /// <summary>The deadline files and the detached timers' logs, for diagnostics.</summary>
    public string RollbackState() => !Directory.Exists(RollbackDir) ? "(no rollback state)" :
        string.Join("\n", Directory.EnumerateFiles(RollbackDir).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Select(f => $"---- {f}\n{File.ReadAllText(f)}"));
    public ManagedProcess Process => _process;

    public async Task StartAsync()
    {
        if (File.Exists(Socket)) File.Delete(Socket);
        _process.Start();
        await Wait.Until(() => File.Exists(Socket), TimeSpan.FromSeconds(15), $"the activator socket {Socket}", () => _process.Tail());
        // systemd-socket-activate creates the socket with the default mode; systemd's unit would set 0660 and the group.
        (await Shell.RunAsync("chgrp", [World.GardenGroup, Socket])).EnsureSuccess();
        File.SetUnixFileMode(Socket, (UnixFileMode)Convert.ToInt32("660", 8));
    }

    /// <summary>
    /// Stops the socket as <c>systemctl stop sower-activator.socket</c> does: nothing listens any more, and the socket
    /// file stays behind (systemd's default <c>RemoveOnStop=no</c>), so clients get "connection refused".
    /// </summary>
    public void StopSocket() => _process.Stop(TimeSpan.FromSeconds(5));

    /// <summary>The system profile's generations: <c>system-N-link</c> → store path, by N.</summary>
    public SortedDictionary<int, string> Generations()
    {
        var result = new SortedDictionary<int, string>();
        var dir = Path.GetDirectoryName(SystemProfile)!;
        if (!Directory.Exists(dir)) return result;
        foreach (var link in Directory.EnumerateFileSystemEntries(dir, "system-*-link"))
        {
            var n = Path.GetFileName(link)["system-".Length..^"-link".Length];
            if (int.TryParse(n, out var number) && new FileInfo(link).LinkTarget is { } target) result[number] = target;
        }
        return result;
    }

    /// <summary>The system profile resolved one level (<c>system-N-link</c>) and fully (the store path).</summary>
    public (string? Link, string? Target) Profile()
    {
        if (new FileInfo(SystemProfile).LinkTarget is not { } link) return (null, null);
        var full = Path.Combine(Path.GetDirectoryName(SystemProfile)!, link);
        return (link, new FileInfo(full).LinkTarget);
    }

    public string[] Reboots() => File.Exists(RebootsFile) ? File.ReadAllLines(RebootsFile) : [];

    public void Dispose()
    {
        _process.Dispose();
        if (File.Exists(Socket)) File.Delete(Socket);
    }
}
