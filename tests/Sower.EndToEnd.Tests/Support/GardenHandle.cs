using System.Text.Json.Nodes;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// One <c>sower-garden</c> running as the unprivileged test account <see cref="World.GardenUser"/> (<c>runuser -u</c>), configured
/// through its <c>client.json</c> only: the server endpoint, the enrollment token file, its activator's socket, its
/// subscriptions, and profile roots pointing at the activator's isolated system profile and the scenario's records
/// (where the fake switch-to-configuration maintains <c>current-system</c>).
/// </summary>
public sealed class GardenHandle : IDisposable
{
    private readonly World _world;
    private readonly ManagedProcess _process;

    /// <param name="extra">More keys of <c>client.json</c> (labels, inhibit settings), set over the defaults here.</param>
    public GardenHandle(World world, string scenario, ActivatorHandle activator, JsonObject subscriptions, string? endpoint = null, JsonObject? extra = null)
    {
        _world = world;
        Name = $"e2e-{scenario}-{world.Nix.Nonce}";
        Dir = Path.Combine(world.RunDir, "gardens", scenario);
        Directory.CreateDirectory(Dir);
        ConfigFile = Path.Combine(Dir, "client.json");
        var records = world.Nix.RecordsDir(scenario);
        var config = new JsonObject
        {
            ["endpoint"] = endpoint ?? world.Server.Url,
            ["access_token_file"] = world.EnrollmentTokenFile,
            ["name"] = Name,
            ["state_directory"] = Path.Combine(Dir, "state"),
            ["admin_socket"] = Path.Combine(Dir, "admin.sock"),
            ["activator_socket"] = activator.Socket,
            ["profiles"] = new JsonObject
            {
                ["system_profile"] = activator.SystemProfile,
                ["current_system"] = Path.Combine(records, "current-system"),
                ["booted_system"] = Path.Combine(records, "booted-system"),
            },
            ["subscriptions"] = subscriptions,
        };
        if (extra is not null)
        {
            foreach (var (key, value) in extra) config[key] = value?.DeepClone();
        }
        File.WriteAllText(ConfigFile, config.ToJsonString());
        Shell.Run("chown", "-R", World.GardenUser, Dir).EnsureSuccess();
        File.SetUnixFileMode(Dir, (UnixFileMode)Convert.ToInt32("700", 8));
        _process = new ManagedProcess($"garden {Name}", Path.Combine(world.RunDir, "logs", $"garden-{scenario}.log"),
            ["runuser", "-u", World.GardenUser, "--", world.Binaries.Garden, "--config", ConfigFile]);
    }

    public string Name { get; }
    public string Dir { get; }
    public string ConfigFile { get; }
    public ManagedProcess Process => _process;

    /// <summary>Starts the garden and waits until it has a session and has synced its subscriptions.</summary>
    public async Task StartAsync()
    {
        var synced = _process.Count("Synced ");
        _process.Start();
        await WaitSyncedAsync(synced);
    }

    public Task WaitSyncedAsync(int syncedBefore) =>
        Wait.Until(() => _process.Count("Synced ") > syncedBefore, TimeSpan.FromSeconds(45),
            $"garden {Name} to connect and sync its subscriptions", () => _world.Diagnostics(_process));

    public int SyncCount => _process.Count("Synced ");

    public void Kill9() => _process.Kill9();

    public void Stop() => _process.Stop();

    public void Dispose() => _process.Dispose();
}
