using System.Text.Json.Nodes;
using Akka.Actor;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;
using GatewayReply = Sower.Messages.Gateway.GatewayReply;

namespace Sower.Garden.Tests;

/// <summary>
/// The garden's metrics textfile (issue 19.1) on a real garden (in-process gateway, real activator socket, real files):
/// it moves when the garden connects and deploys, its counters survive a restart, and it shows inhibition and a wait
/// for the reboot lock.
/// </summary>
public sealed class GardenMetricsTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private const string D1 = "dply_aaaaaaaaaaaaaaaaaaaaaaa1";

    private string Textfile => Path.Combine(Dir.Path, "textfile", "sower-garden.prom");

    private IActorRef StartMetrics(string name = "metrics")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Textfile)!);
        return Sys.ActorOf(GardenMetricsActor.Props(new GardenMetricsSettings(Textfile, Path.Combine(Dir.Path, "state"), Store, Clock, "9.9.9")), name);
    }

    private string Read() => File.Exists(Textfile) ? File.ReadAllText(Textfile) : "";

    private void AwaitLine(string line) =>
        AwaitCondition(() => Read().Contains(line + "\n", StringComparison.Ordinal), TimeSpan.FromSeconds(15), $"the textfile shows {line}");

    [Fact]
    public void A_deployment_moves_the_textfile_and_its_counters_survive_a_restart()
    {
        var metrics = StartMetrics();
        AwaitLine("sower_garden_connected 0");
        AwaitLine("sower_garden_info{version=\"9.9.9\"} 1");
        StartHost(Config(Nixos()));
        AwaitConnectedAndSynced();
        AwaitLine("sower_garden_connected 1");
        AwaitLine("sower_garden_last_server_contact_timestamp_seconds 1772445600");

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        AwaitLine("sower_garden_last_deployment_result{subscription=\"web\",result=\"success\"} 1");
        AwaitLine("sower_garden_last_deployment_timestamp_seconds{subscription=\"web\"} 1772445600");
        AwaitLine("sower_garden_activations_total{result=\"success\"} 1");
        AwaitLine("sower_garden_deployments_total{result=\"success\"} 1");
        AwaitLine("sower_garden_rollbacks_total 0");

        // node_exporter runs as another user: the file is world-readable whatever the garden's umask; the saved counters are not.
        Assert.Equal(MetricsTextfileWriter.Mode, File.GetUnixFileMode(Textfile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(GardenMetricsStore.PathIn(Path.Combine(Dir.Path, "state"))));
        Assert.Equal([Textfile], Directory.GetFiles(Path.GetDirectoryName(Textfile)!));
        Assert.DoesNotContain("enroll-token", Read(), StringComparison.Ordinal);

        // A restarted garden (here: its metrics actor) starts from the saved counters, not from zero.
        Watch(metrics);
        Sys.Stop(metrics);
        ExpectTerminated(metrics);
        File.Delete(Textfile);
        StartMetrics("metrics-again");
        AwaitLine("sower_garden_activations_total{result=\"success\"} 1");
        AwaitLine("sower_garden_last_deployment_result{subscription=\"web\",result=\"success\"} 1");
    }

    [Fact]
    public void A_deployment_the_activator_rolled_back_counts_as_a_rollback_and_its_subscription_reads_rolled_back()
    {
        Activator.Behaviour = r => Task.FromResult(r.Type == ActivatorRequestTypes.Confirm ? ActivatorExitCodes.RolledBack : 0);
        Activator.ExtraFrames = r => r.Type == ActivatorRequestTypes.Confirm ? [ActivatorFrame.Error(r.Id, "rolled back: no confirmation")] : [];
        StartMetrics();
        StartHost(RollbackConfig(30, Nixos()));
        AwaitConnectedAndSynced();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("rolled_back", (string?)AwaitResult(D1)["result"]);
        AwaitLine("sower_garden_rollbacks_total 1");
        AwaitLine("sower_garden_deployments_total{result=\"rolled_back\"} 1");
        AwaitLine("sower_garden_last_deployment_result{subscription=\"web\",result=\"rolled_back\"} 1");
        AwaitLine("sower_garden_activations_total{result=\"rolled_back\"} 1");
    }

    [Fact]
    public void A_reload_that_moves_or_removes_the_textfile_deletes_the_old_one_so_no_frozen_values_are_served()
    {
        StartMetrics();
        AwaitLine("sower_garden_connected 0");
        var config = Config(Nixos());
        var host = StartHost(config);
        AwaitConnectedAndSynced();
        var moved = Path.Combine(Dir.Path, "textfile", "moved.prom");

        host.Tell(new GardenDaemonCommands.ApplyConfig(config with { MetricsTextfile = moved }));
        AwaitCondition(() => File.Exists(moved) && !File.Exists(Textfile), TimeSpan.FromSeconds(10));
        Assert.Contains("sower_garden_connected 1\n", File.ReadAllText(moved), StringComparison.Ordinal);

        host.Tell(new GardenDaemonCommands.ApplyConfig(config));
        AwaitCondition(() => !File.Exists(moved), TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(Textfile));
    }

    [Fact]
    public void Inhibition_shows_in_the_textfile_while_it_lasts()
    {
        StartMetrics();
        var inhibit = Dir.File("inhibit");
        File.WriteAllText(inhibit, "db failover");
        StartHost(Config(Nixos()) with { Inhibit = new InhibitSettings(inhibit, [], TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)) });
        AwaitLine("sower_garden_inhibited 1");
        File.Delete(inhibit);
        AwaitLine("sower_garden_inhibited 0");
    }

    [Fact]
    public void A_restart_waiting_for_the_reboot_lock_shows_in_the_textfile()
    {
        Gateway.Reply = (method, payload) => method == GatewayProtocol.RebootLockAcquire
            ? GatewayReply.Success(new JsonObject
            {
                ["granted"] = false,
                ["group"] = "web",
                ["in_use"] = 1,
                ["max"] = 1,
                ["holders"] = new JsonArray("web03"),
                ["text"] = "waiting for the reboot lock (1 of 1 in use: web03)",
            })
            : FakeGardenGateway.DefaultReply(method, payload);
        StartMetrics();
        StartHost(Config(Nixos(policyJson: """{"r":{"actions":["restart"]}}""")));
        AwaitConnectedAndSynced();
        AwaitLine("sower_garden_reboot_lock_waiting 0");
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "restart"));
        AwaitLine("sower_garden_reboot_lock_waiting 1");
    }

    [Fact]
    public void A_textfile_that_cannot_be_written_does_not_stop_the_metrics_and_is_written_once_it_can()
    {
        StartMetrics();
        AwaitLine("sower_garden_connected 0");
        var directory = Path.GetDirectoryName(Textfile)!;
        Directory.Delete(directory, recursive: true);
        StartHost(Config(Nixos()));
        AwaitConnectedAndSynced();
        Directory.CreateDirectory(directory);
        // The periodic refresh (15 s) is not waited for: the next change writes it.
        Sys.EventStream.Publish(new GardenMetricsEvents.GateChanged(Inhibited: true, WaitingForRebootLock: false));
        AwaitLine("sower_garden_connected 1");
        AwaitLine("sower_garden_inhibited 1");
    }
}

/// <summary><see cref="MetricsTextfileWriter"/> on a real file system: atomic, world-readable, and clean when it fails.</summary>
public sealed class MetricsTextfileWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_reader_never_sees_a_partial_file()
    {
        var path = _dir.File("sower-garden.prom");
        var a = string.Concat(Enumerable.Repeat("sower_garden_a 1\n", 20_000));
        var b = string.Concat(Enumerable.Repeat("sower_garden_bb 2\n", 30_000));
        MetricsTextfileWriter.Write(path, a);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var torn = new List<int>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var text = File.ReadAllText(path);
                if (text != a && text != b) lock (torn) torn.Add(text.Length);
                Interlocked.Increment(ref reads);
            }
        });
        // The reader must be running before the writes start (CI saw 200 writes finish before its first read).
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref reads) > 0, TimeSpan.FromSeconds(10)));
        for (var i = 0; i < 200; i++) MetricsTextfileWriter.Write(path, i % 2 == 0 ? b : a);
        stop.Cancel();
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(reads > 0);
        Assert.Empty(torn);
        Assert.Equal(["sower-garden.prom"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void The_file_is_0644_even_when_it_replaces_a_private_one()
    {
        var path = _dir.File("sower-garden.prom");
        File.WriteAllText(path, "old\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        MetricsTextfileWriter.Write(path, "new\n");
        Assert.Equal(MetricsTextfileWriter.Mode, File.GetUnixFileMode(path));
        Assert.Equal("new\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temp_file()
    {
        var path = _dir.File("sower-garden.prom");
        MetricsTextfileWriter.Write(path, "old\n");
        Assert.ThrowsAny<IOException>(() => MetricsTextfileWriter.Write(_dir.File("absent/sower-garden.prom"), "x\n"));
        // A directory where the file should be: the rename fails after the temp file was written.
        var blocked = Directory.CreateDirectory(_dir.File("blocked.prom")).FullName;
        Assert.ThrowsAny<Exception>(() => MetricsTextfileWriter.Write(blocked, "x\n"));
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Equal(["sower-garden.prom"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }
}
