using Sower.Activator.Tests.Support;

namespace Sower.Activator.Tests;

/// <summary>The real process runner: own process group, signals, privilege drop through setpriv.</summary>
public class ProcessCommandRunnerTests
{
    private static async Task<(CommandResult Result, List<string> Out, List<string> Err)> Run(CommandSpec spec, TimeSpan? limit = null)
    {
        var stdout = new List<string>();
        var stderr = new List<string>();
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(30));
        var result = await new ProcessCommandRunner().RunAsync(spec, l => { lock (stdout) stdout.Add(l); }, l => { lock (stderr) stderr.Add(l); }, cts.Token);
        return (result, stdout, stderr);
    }

    [Fact]
    public async Task A_child_killed_by_a_signal_reports_128_plus_the_signal()
    {
        var (result, _, _) = await Run(new CommandSpec("/bin/sh", ["-c", "kill -TERM $$"]));
        Assert.Equal(143, result.ExitCode);
        Assert.False(result.TimedOut);
    }

    [Fact]
    public async Task Children_lead_their_own_session_and_get_no_stdin()
    {
        var (result, output, _) = await Run(new CommandSpec("/bin/sh", ["-c", "ps -o pid=,pgid=,sid= -p $$; cat; echo eof"]));
        Assert.Equal(0, result.ExitCode);
        var ids = output[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(ids[0], ids[2]);
        Assert.Equal("eof", output[^1]);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_group()
    {
        var dir = TestArea.NewDir("runner-timeout");
        var pidFile = Path.Combine(dir, "bg");
        var (result, _, _) = await Run(new CommandSpec("/bin/sh", ["-c", $"sleep 60 & echo $! > {pidFile}; sleep 60"]), TimeSpan.FromSeconds(1));
        Assert.True(result.TimedOut);
        var pid = File.ReadAllText(pidFile).Trim();
        for (var i = 0; i < 50 && File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal); i++) await Task.Delay(100);
        Assert.True(!File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAs_drops_to_the_users_uid_gid_and_supplementary_groups()
    {
        Requirements.Root();
        Requirements.Tool("setpriv", "util-linux");
        var users = TestUsers.Instance;
        var account = users.Account(users.Supplementary);
        var (result, output, err) = await Run(new CommandSpec("/bin/sh", ["-c", "id -u; id -g; id -G"]) { RunAs = account });
        Assert.True(result.ExitCode == 0, string.Join('\n', err));
        Assert.Equal(account.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), output[0]);
        Assert.Equal(account.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), output[1]);
        var groups = output[2].Split(' ').Select(uint.Parse).ToHashSet();
        Assert.Equal(new HashSet<uint> { account.Gid, users.AllowedGid, users.SocketGid }, groups);
    }

    [Fact]
    public void The_executed_argument_vector_is_setsid_then_setpriv_then_the_program()
    {
        var runner = new ProcessCommandRunner();
        var argv = runner.CommandLineFor(new CommandSpec("/nix/store/x/activate", ["a"]) { RunAs = new UserAccount("alice", 1000, 100, "/home/alice") });
        Assert.EndsWith("setsid", argv[0], StringComparison.Ordinal);
        Assert.EndsWith("setpriv", argv[1], StringComparison.Ordinal);
        Assert.Equal(["--reuid=1000", "--regid=100", "--init-groups", "--", "/nix/store/x/activate", "a"], argv.Skip(2));
        Assert.Equal(2, runner.CommandLineFor(new CommandSpec("nix-store", ["--version"])).Count - 1);
    }

    [Fact]
    public void Home_manager_gets_the_user_bus_only_when_it_exists()
    {
        Requirements.Root();
        var users = TestUsers.Instance;
        var account = users.Account(users.Primary);
        var runtime = $"/run/user/{account.Uid}";
        var spec = HomeManagerAction.SpecFor(InProcess.Root, account, "/nix/store/x/activate");
        Assert.False(spec.Environment!.ContainsKey("DBUS_SESSION_BUS_ADDRESS"));
        Assert.Equal(account, spec.RunAs);
        Directory.CreateDirectory(runtime);
        try
        {
            File.WriteAllText(Path.Combine(runtime, "bus"), "");
            spec = HomeManagerAction.SpecFor(InProcess.Root, account, "/nix/store/x/activate");
            Assert.Equal($"unix:path={runtime}/bus", spec.Environment!["DBUS_SESSION_BUS_ADDRESS"]);
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
        Assert.Null(HomeManagerAction.SpecFor(InProcess.Root, SystemAccounts.Instance.FindUser("root")!, "/x").RunAs);
        Assert.Null(HomeManagerAction.SpecFor(new ActivatorProcessIdentity(account.Uid, account.Name), account, "/x").RunAs);
    }
}
