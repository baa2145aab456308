using System.Text;
using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>The systemd modes, with systemd-socket-activate passing LISTEN_FDS exactly as systemd does.</summary>
public class SocketActivationTests
{
    private static (string Dir, string Config) Setup(string name, int idleExit = 60)
    {
        Requirements.Root();
        Requirements.Tool("systemd-socket-activate", "systemd");
        var dir = TestArea.NewDir(name);
        var config = TestArea.WriteConfig(dir, new Dictionary<string, object>
        {
            ["reboot_command"] = new[] { "/bin/echo", "reboot-ran" },
            ["reboot_delay_seconds"] = 0,
            ["idle_exit_seconds"] = idleExit,
        });
        return (dir, config);
    }

    private static List<ActivatorFrame> Send(string socket, string id)
    {
        var lines = TestClient.Exchange(socket, Encoding.UTF8.GetBytes(ActivatorProtocol.SerializeRequest(ActivatorRequest.Reboot(id, "sa")) + "\n"), TimeSpan.FromSeconds(30));
        return FrameAssert.Parse(lines);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Accept_yes_serves_one_connection_per_process(bool inetd)
    {
        var (dir, config) = Setup(inetd ? "sa-inetd" : "sa-accept");
        var socket = Path.Combine(dir, "a.sock");
        string[] mode = inetd ? ["--accept", "--inetd"] : ["--accept"];
        using var activate = new ActivatorProcess.Server("systemd-socket-activate",
            ["-l", socket, .. mode, "--", "dotnet", ActivatorProcess.Dll, "--config", config], socket);
        foreach (var id in new[] { "acc-1", "acc-2" })
        {
            var frames = Send(socket, id);
            Assert.True(FrameAssert.SingleComplete(frames) == 0, FrameAssert.Text(frames) + activate.Stderr);
            Assert.Contains(frames, f => f.Data!.Contains($"Received request id={id} type=reboot", StringComparison.Ordinal));
            Assert.Contains(frames, f => f.Data!.EndsWith(" reboot-ran", StringComparison.Ordinal));
        }
        Assert.False(activate.HasExited, "systemd-socket-activate keeps listening");
    }

    [Fact]
    public void Children_never_inherit_the_client_socket()
    {
        var (dir, _) = Setup("sa-fds");
        var config = TestArea.WriteConfig(dir, new Dictionary<string, object>
        {
            ["reboot_command"] = new[] { "/bin/sh", "-c", "ls /proc/$$/fd | tr '\\n' ' '" },
            ["reboot_delay_seconds"] = 0,
        });
        var socket = Path.Combine(dir, "f.sock");
        using var activate = new ActivatorProcess.Server("systemd-socket-activate", ["-l", socket, "--accept", "--", "dotnet", ActivatorProcess.Dll, "--config", config], socket);
        var frames = Send(socket, "fds");
        Assert.Equal(0, FrameAssert.SingleComplete(frames));
        var listing = frames.Single(f => f.Type == "output" && !f.Data!.Contains("[activator]", StringComparison.Ordinal)).Data!;
        var fds = listing.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(int.Parse).ToList();
        Assert.True(fds.SequenceEqual([0, 1, 2]), "the shell must hold only its three pipes: " + listing);
    }

    [Fact]
    public void Accept_no_serves_connections_one_at_a_time_then_exits_when_idle()
    {
        var (dir, config) = Setup("sa-listen", idleExit: 2);
        var socket = Path.Combine(dir, "l.sock");
        using var activate = new ActivatorProcess.Server("systemd-socket-activate",
            ["-l", socket, "--", "dotnet", ActivatorProcess.Dll, "--config", config], socket);
        foreach (var id in new[] { "lst-1", "lst-2", "lst-3" })
        {
            Assert.Equal(0, FrameAssert.SingleComplete(Send(socket, id)));
        }
        Assert.True(activate.WaitForExit(TimeSpan.FromSeconds(15)), "the activator must exit after the idle period");
        Assert.Equal(0, activate.Process.ExitCode);
        // All three requests were served by the one exec'd process.
        Assert.Equal(3, activate.Stderr.Split('\n').Count(l => l.Contains("Received request id=lst-", StringComparison.Ordinal)));
        Assert.Contains("Idle, exiting", activate.Stderr, StringComparison.Ordinal);
    }
}
