using System.Diagnostics;
using System.Text;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// Everything the scenarios share, built once per test run: the accounts (the gardens' user in the activators'
/// allowed group, and a second user for Home-Manager), the Nix artifacts and their signed cache, the real server with
/// its SQLite data directory, and an enrollment token minted with the CLI from the admin token. Each scenario then
/// starts its own activator and garden. Fails (never skips) with what is missing when not root or without Nix.
/// </summary>
public sealed class World : IAsyncLifetime
{
    /// <summary>
    /// The gardens' account: unprivileged and deliberately not named <c>sower-garden</c>, so the garden's activator routing
    /// is proven to follow the request (§5.14) and not the account name. A member of <see cref="GardenGroup"/>.
    /// </summary>
    public const string GardenUser = "sower-e2e-garden";
    public const string GardenGroup = "sower-e2e";
    public const string HomeUser = "sower-e2e-hm";

    /// <summary>Every artifact of every scenario, built in one nix-build.</summary>
    public static readonly ArtifactSpec[] Artifacts =
    [
        new("rt-1", "realtime"),
        new("win-base", "window-in"), new("win-in-1", "window-in"),
        new("win-out-1", "window-out"),
        new("win-held-1", "window-held"),
        new("appr-1", "approval"), new("appr-2", "approval"),
        new("hm-1", "home", Home: true),
        new("sched-1", "schedule"), new("sched-2", "schedule"),
        new("rules-dev", "rules"), new("rules-1", "rules"), new("rules-2", "rules"),
        new("trust-bad", "trust", Untrusted: true),
        new("fs-1", "fault-server", SleepSeconds: 3),
        new("fg-1", "fault-garden", SleepSeconds: 3),
        new("fa-1", "fault-activator"),
        new("fo-1", "fault-offline"), new("fo-2", "fault-offline"),
        new("rs-1", "restart"),
        new("chg-base", "changes-boot"), new("chg-kernel", "changes-boot", Userland: "chg-base"),
        new("drift-1", "changes-drift"), new("drift-2", "changes-drift"),
        new("rb-base", "rollback"), new("rb-cut", "rollback", KillsGarden: true),
        new("rk-base", "rollback-kept"), new("rk-1", "rollback-kept"),
        new("rr-base", "rollback-reboot"), new("rr-1", "rollback-reboot"),
        new("pr-a", "promote"), new("pr-b", "promote"),
        new("rc-good", "recall"), new("rc-bad", "recall"),
        new("lk-base", "fleet-lock"), new("lk-1", "fleet-lock"),
        new("wv-1", "fleet-waves"), new("wv-bad", "fleet-waves", Fails: true), new("wv-bad-2", "fleet-waves", Fails: true),
        new("inh-1", "inhibit"), new("inh-2", "inhibit"),
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public World()
    {
        Requirements.Check();
        var nonce = Guid.NewGuid().ToString("N")[..10];
        // Under /tmp rather than $TMPDIR: the garden user and the Home-Manager user must be able to traverse every parent.
        RunDir = Path.Combine(Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath(), $"sower-e2e-{nonce}");
        Directory.CreateDirectory(Path.Combine(RunDir, "logs"));
        File.SetUnixFileMode(RunDir, (UnixFileMode)Convert.ToInt32("755", 8));
        Nonce = nonce;
        Binaries = Binaries.Locate();
        Server = new ServerHandle(Binaries, RunDir);
        Cli = new Cli(this);
    }

    public string Nonce { get; }
    public string RunDir { get; }
    public Binaries Binaries { get; }
    public FakeNix Nix { get; private set; } = null!;
    public ServerHandle Server { get; }
    public Cli Cli { get; }
    public string EnrollmentTokenFile => Path.Combine(RunDir, "enroll-token");
    public int HomeUserUid { get; private set; }
    public TimeSpan SetupTime { get; private set; }

    public async Task InitializeAsync()
    {
        Accounts();
        Binaries.ShareGardenUnder(Path.Combine(RunDir, "bin", "garden"));
        File.WriteAllText(Path.Combine(RunDir, "no-client.json"), "{}");
        Nix = new FakeNix(RunDir, Nonce, Artifacts);
        await Server.StartAsync();
        var token = await Cli.JsonAsync("token", "create", "--description", "e2e garden enrollment", "--role", "garden:register");
        File.WriteAllText(EnrollmentTokenFile, (string)token["token"]!);
        File.SetUnixFileMode(EnrollmentTokenFile, (UnixFileMode)Convert.ToInt32("644", 8));
        SetupTime = _clock.Elapsed;
        File.AppendAllText(Path.Combine(RunDir, "timings"), $"setup {SetupTime.TotalSeconds:0.0}s\n");
    }

    public void Record(string what, TimeSpan elapsed) =>
        File.AppendAllText(Path.Combine(RunDir, "timings"), $"{what} {elapsed.TotalSeconds:0.0}s\n");

    /// <summary>The server's log tail plus the given processes' tails: attached to every failed wait.</summary>
    public string Diagnostics(params ManagedProcess[] processes)
    {
        var text = new StringBuilder();
        foreach (var p in processes) text.AppendLine(p.Tail());
        text.AppendLine(Server.Process.Tail(30));
        return text.ToString();
    }

    private void Accounts()
    {
        static bool Exists(string db, string name) => Shell.Run("getent", db, name).ExitCode == 0;
        if (!Exists("group", GardenGroup)) Shell.Run("groupadd", GardenGroup).EnsureSuccess();
        if (!Exists("passwd", GardenUser))
        {
            Shell.Run("useradd", "--system", "--no-create-home", "--home-dir", "/var/empty", "--shell", "/usr/sbin/nologin", GardenUser).EnsureSuccess();
        }
        Shell.Run("usermod", "-a", "-G", GardenGroup, GardenUser).EnsureSuccess();
        if (!Exists("passwd", HomeUser))
        {
            Shell.Run("useradd", "--create-home", "--home-dir", $"/home/{HomeUser}", "--shell", "/bin/sh", HomeUser).EnsureSuccess();
        }
        HomeUserUid = int.Parse(Shell.Run("id", "-u", HomeUser).EnsureSuccess().Stdout.Trim());
    }

    public Task DisposeAsync()
    {
        Server.Dispose();
        // Keep the logs and records for diagnosis; drop the garden's copied binaries and the build roots (so Nix may
        // collect this run's artifacts).
        foreach (var dir in new[] { Path.Combine(RunDir, "bin"), Path.Combine(RunDir, "nix", "roots") })
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        }
        File.AppendAllText(Path.Combine(RunDir, "timings"), $"total {_clock.Elapsed.TotalSeconds:0.0}s\n");
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<World>
{
    public const string Name = "end to end";
}

public static class Requirements
{
    public static void Check()
    {
        if (Native.geteuid() != 0)
        {
            throw new InvalidOperationException(
                "the end-to-end tests need root (they create users, run the activator as root behind systemd-socket-activate and use the Nix store): run ./test.sh as root");
        }
        foreach (var (tool, package) in new[]
                 {
                     ("nix-build", "nix-bin"), ("nix-store", "nix-bin"), ("nix-env", "nix-bin"), ("nix", "nix-bin"),
                     ("systemd-socket-activate", "systemd"), ("runuser", "util-linux"), ("setsid", "util-linux"),
                     ("setpriv", "util-linux"), ("useradd", "passwd"),
                 })
        {
            if (!Shell.OnPath(tool)) throw new InvalidOperationException($"the end-to-end tests need `{tool}`: apt-get install -y {package} (./test.sh installs it when run as root)");
        }
    }
}
