using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Sower.Garden.Tests;

/// <summary>The real sower-garden process: exit 78, sd_notify, SIGHUP reload, SIGTERM, and the admin socket.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteConfig(string endpoint = "http://127.0.0.1:9", string extra = "") => _dir.Write("client.json", $$$"""
        {"endpoint":"{{{endpoint}}}","access_token":"enroll","state_directory":"{{{_dir.File("state")}}}","admin_socket":"{{{_dir.File("run/admin.sock")}}}",
         "activator_socket":"{{{_dir.File("act.sock")}}}"{{{extra}}},
         "subscriptions":{"web":{"seed_type":"nixos","schedule":"30 4 * * *"} } }
        """);

    [Fact]
    public void An_invalid_configuration_exits_78_naming_every_problem()
    {
        var config = _dir.Write("client.json", """{"subscriptions":{"web":{"seed_type":"nixos","schedule":"bad cron"}}}""");
        using var garden = new GardenProcess(config, new Dictionary<string, string> { ["SOWER_ENDPOINT"] = "", ["SOWER_ACCESS_TOKEN"] = "" });
        Assert.Equal(78, garden.WaitForExit(TimeSpan.FromSeconds(30)));
        var line = garden.WaitForLine("Configuration validation failed", TimeSpan.FromSeconds(1));
        Assert.Contains("endpoint:", line);
        Assert.Contains("subscriptions.web.schedule:", line);
    }

    [Fact]
    public void Under_systemd_every_line_is_one_journald_entry_with_its_priority()
    {
        var config = _dir.Write("client.json", """{"subscriptions":{"web":{"seed_type":"nixos","schedule":"bad cron"}}}""");
        using var garden = new GardenProcess(config, new Dictionary<string, string>
        {
            ["SOWER_ENDPOINT"] = "",
            ["SOWER_ACCESS_TOKEN"] = "",
            ["INVOCATION_ID"] = "5f0c3a0e2b6a4d3f9e1c7b8a6d5e4f3a",
            ["JOURNAL_STREAM"] = "8:4242",
        });
        Assert.Equal(78, garden.WaitForExit(TimeSpan.FromSeconds(30)));
        var line = garden.WaitForLine("Configuration validation failed", TimeSpan.FromSeconds(1));
        // <2> is journald's "critical"; no timestamp (journald stamps the entry) and nothing on a second line.
        Assert.StartsWith("<2>sower-garden[0] Configuration validation failed: ", line, StringComparison.Ordinal);
        Assert.Single(garden.Lines, l => l.Length > 0);
    }

    [Fact]
    public void It_notifies_systemd_reloads_on_sighup_and_drains_on_sigterm()
    {
        var notifyPath = _dir.File("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        // Read all the time, as systemd does.
        var messages = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reader = new Thread(() =>
        {
            var buffer = new byte[4096];
            try { while (true) messages.Enqueue(Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer))); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });
        reader.IsBackground = true;
        reader.Start();
        var config = WriteConfig();
        using var garden = new GardenProcess(config, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath, ["WATCHDOG_USEC"] = "400000" });
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until && !(messages.Any(m => m.Contains("READY=1")) && messages.Any(m => m.Contains("WATCHDOG=1")) && messages.Any(m => m.StartsWith("STATUS=reconnecting in", StringComparison.Ordinal))))
        {
            Thread.Sleep(50);
        }
        Assert.Contains(messages, m => m.Contains("READY=1"));
        Assert.Contains(messages, m => m.Contains("WATCHDOG=1"));
        Assert.Contains(messages, m => m.StartsWith("STATUS=reconnecting in", StringComparison.Ordinal));

        garden.Signal(GardenProcess.SIGHUP);
        garden.WaitForLine("Received SIGHUP", TimeSpan.FromSeconds(10));
        garden.WaitForLine("configuration re-read", TimeSpan.FromSeconds(10));

        File.WriteAllText(config, """{"subscriptions":{"web":{"seed_type":"nope"}}}""");
        garden.Signal(GardenProcess.SIGHUP);
        var kept = garden.WaitForLine("keeping the running configuration", TimeSpan.FromSeconds(10));
        Assert.Contains("Configuration validation failed", kept);

        garden.Signal(GardenProcess.SIGTERM);
        Assert.Equal(0, garden.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(messages, m => m.Contains("STOPPING=1"));
    }

    [Fact]
    public async Task A_service_manager_that_stops_reading_never_blocks_a_notification()
    {
        // A Unix datagram send blocks once the reader's queue is full; the garden's shutdown once hung on STOPPING=1 so.
        var notifyPath = _dir.File("silent-notify.sock");
        using var silent = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        silent.Bind(new UnixDomainSocketEndPoint(notifyPath));
        using var notifier = new SdNotifier(notifyPath);
        var sending = Task.Run(() => { for (var i = 0; i < 1000; i++) notifier.Notify("WATCHDOG=1"); });
        await sending.WaitAsync(TimeSpan.FromSeconds(30));
        var buffer = new byte[64];
        Assert.Equal("WATCHDOG=1", Encoding.UTF8.GetString(buffer, 0, silent.Receive(buffer))); // the first ones still arrived
    }

    private static List<JsonObject> Admin(string socketPath, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket);
        stream.Write(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream);
        var replies = new List<JsonObject>();
        try
        {
            while (reader.ReadLine() is { } line) replies.Add((JsonObject)JsonNode.Parse(line)!);
        }
        catch (IOException) { } // closed by the garden (reset when our unread request was still in its buffer)
        return replies;
    }

    [Fact]
    public void A_garden_process_writes_its_metrics_textfile_world_readable_despite_its_umask_and_refuses_a_relative_one()
    {
        var textfile = Path.Combine(Directory.CreateDirectory(_dir.File("textfile")).FullName, "sower-garden.prom");
        using (var garden = new GardenProcess(WriteConfig(extra: $$""","metrics_textfile":"{{textfile}}" """)))
        {
            garden.WaitForLine("Admin socket listening", TimeSpan.FromSeconds(30));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!(File.Exists(textfile) && File.ReadAllText(textfile).Contains("sower_garden_connected 0\n", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Assert.Contains("sower_garden_info{version=", File.ReadAllText(textfile), StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(textfile));
        }

        using var refused = new GardenProcess(WriteConfig(extra: ""","metrics_textfile":"metrics/sower-garden.prom" """));
        Assert.Equal(78, refused.WaitForExit(TimeSpan.FromSeconds(30)));
        refused.WaitForLine("metrics_textfile: must be an absolute path", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void The_admin_socket_answers_every_request_with_a_reply_and_complete()
    {
        using var garden = new GardenProcess(WriteConfig());
        garden.WaitForLine("Admin socket listening", TimeSpan.FromSeconds(30));
        var socket = _dir.File("run/admin.sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));

        var status = Admin(socket, """{"v":1,"id":"s1","kind":"status"}""" + "\n");
        Assert.Equal("ok", (string?)status[0]["kind"]);
        Assert.Equal("s1", (string?)status[0]["id"]);
        Assert.NotNull(status[0]["status"]!["version"]);
        Assert.Empty((JsonArray)status[0]["status"]!["active_deployments"]!);
        Assert.Equal("web", (string?)status[0]["status"]!["subscriptions"]![0]!["name"]);
        Assert.Equal("""{"v":1,"id":"s1","kind":"complete","exit_code":0}""", status[1].ToJsonString());

        var bad = Admin(socket, "{nonsense\n");
        Assert.StartsWith("invalid request: ", (string)bad[0]["data"]!);
        Assert.Equal(1, (int)bad[1]["exit_code"]!);

        var noTarget = Admin(socket, """{"v":1,"id":"d1","kind":"deploy","payload":{}}""" + "\n");
        Assert.Equal("deploy requires a seed_type or sid", (string?)noTarget[0]["data"]);
        var notSynced = Admin(socket, """{"v":1,"id":"d2","kind":"deploy","payload":{"seed_type":"nixos","sid":null,"force":false}}""" + "\n");
        Assert.Equal("subscriptions not synced yet", (string?)notSynced[0]["data"]);
        Assert.Equal("error", (string?)notSynced[0]["kind"]);

        var reload = Admin(socket, """{"v":1,"id":"r1","kind":"reload"}""" + "\n");
        Assert.Equal("reload requested", (string?)reload[0]["data"]);
        garden.WaitForLine("configuration re-read", TimeSpan.FromSeconds(10));

        Assert.Empty(Admin(socket, new string('x', 70_000) + "\n")); // too long: closed without a reply
    }

    [Fact]
    public void A_peer_that_is_neither_root_owner_nor_in_the_socket_group_is_refused()
    {
        const string user = "sgpeer";
        RunAllowingFailure("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user);
        using var garden = new GardenProcess(WriteConfig());
        garden.WaitForLine("Admin socket listening", TimeSpan.FromSeconds(30));
        var socket = _dir.File("run/admin.sock");
        // Let the file-permission barrier pass so the peer-credential check is what decides.
        File.SetUnixFileMode(socket, (UnixFileMode)0b110_110_110);
        foreach (var d in new[] { _dir.Path, _dir.File("run") }) File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        var output = Run("runuser", "-u", user, "--", "perl", "-MIO::Socket::UNIX", "-e",
            "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die \"connect: $!\"; print $s qq({\"v\":1,\"id\":\"x\",\"kind\":\"status\"}\\n); print while <$s>;",
            socket);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("""{"v":1,"id":"","kind":"error","data":"unauthorized"}""", lines[0]);
        Assert.Equal("""{"v":1,"id":"","kind":"complete","exit_code":1}""", lines[1]);
    }

    [Fact]
    public void A_member_of_the_gardens_group_reaches_the_admin_socket_through_the_directory_the_garden_creates_and_others_do_not()
    {
        const string group = "sgadmins", member = "sgmember", stranger = "sgstranger";
        RunAllowingFailure("groupadd", group);
        RunAllowingFailure("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "-G", group, member);
        RunAllowingFailure("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", stranger);
        var gid = Run("getent", "group", group).Split(':')[2];
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101); // the test's own temp dir: traversable, as /run is
        // The garden as root with the group as its primary group, as a unit with Group=sower-garden runs it.
        using var garden = new GardenProcess(WriteConfig(), prefix: ["setpriv", $"--regid={gid}", "--clear-groups", "--"]);
        garden.WaitForLine("Admin socket listening", TimeSpan.FromSeconds(30));
        var run = _dir.File("run");
        var socket = _dir.File("run/admin.sock");

        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(run));
        Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(socket));
        Assert.Equal(uint.Parse(gid, System.Globalization.CultureInfo.InvariantCulture), Sower.Garden.FileOwner.Of(run)!.Value.Gid);
        Assert.Equal(uint.Parse(gid, System.Globalization.CultureInfo.InvariantCulture), Sower.Garden.FileOwner.Of(socket)!.Value.Gid);

        var allowed = RunAllowingFailure("runuser", "-u", member, "--", "perl", "-MIO::Socket::UNIX", "-e",
            "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die \"connect: $!\"; print $s qq({\"v\":1,\"id\":\"m\",\"kind\":\"status\"}\\n); print while <$s>;",
            socket);
        var lines = allowed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 2, allowed);
        Assert.Equal("ok", (string?)JsonNode.Parse(lines[0])!["kind"]);
        Assert.Equal("""{"v":1,"id":"m","kind":"complete","exit_code":0}""", lines[1]);

        var (refused, error) = RunCapturingError("runuser", "-u", stranger, "--", "perl", "-MIO::Socket::UNIX", "-e",
            "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die \"connect: $!\"; print $s qq({\"v\":1,\"id\":\"s\",\"kind\":\"status\"}\\n); print while <$s>;",
            socket);
        Assert.Equal("", refused);
        Assert.Contains("connect: Permission denied", error, StringComparison.Ordinal);
    }

    private static (string Stdout, string Stderr) RunCapturingError(string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (stdout.Result, stderr);
    }

    private static string RunAllowingFailure(string file, params string[] args) => Run(file, true, args);

    private static string Run(string file, params string[] args) => Run(file, false, args);

    private static string Run(string file, bool allowFailure, string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 && !allowFailure) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {stderr}");
        return stdout;
    }
}
