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
            // ls runs as a separate process while the shell just waits: it lists exactly what the shell inherited.
            ["reboot_command"] = new[] { "/bin/sh", "-c", "ls -l /proc/$$/fd/" },
            ["reboot_delay_seconds"] = 0,
        });
        var socket = Path.Combine(dir, "f.sock");
        using var activate = new ActivatorProcess.Server("systemd-socket-activate", ["-l", socket, "--accept", "--", "dotnet", ActivatorProcess.Dll, "--config", config], socket);
        var frames = Send(socket, "fds");
        Assert.Equal(0, FrameAssert.SingleComplete(frames));
        var descriptors = frames.Where(f => f.Type == "output" && f.Data!.Contains(" -> ", StringComparison.Ordinal)).Select(f => f.Data!).ToList();
        Assert.True(descriptors.Count == 3, "the shell must hold only stdin, stdout and stderr:\n" + string.Join('\n', descriptors));
        Assert.All(descriptors, d => Assert.Contains("pipe:", d, StringComparison.Ordinal));
    }

    [Fact]
    public void A_client_that_hangs_up_does_not_abort_a_running_activation()
    {
        var (dir, _) = Setup("sa-hangup");
        var marker = Path.Combine(dir, "finished");
        var config = TestArea.WriteConfig(dir, new Dictionary<string, object>
        {
            ["reboot_command"] = new[] { "/bin/sh", "-c", $"sleep 1; echo still-running; echo done > {marker}" },
            ["reboot_delay_seconds"] = 0,
        });
        using var server = ActivatorProcess.Server.Bound(Path.Combine(dir, "h.sock"), "--config", config);
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(server.SocketPath));
            socket.Send(ActivatorProtocol.SerializeRequestLine(ActivatorRequest.Reboot("hangup", "x")));
            var buffer = new byte[256];
            socket.Receive(buffer); // the first frame: the request is running
        }
        for (var i = 0; i < 100 && !File.Exists(marker); i++) Thread.Sleep(100);
        Assert.True(File.Exists(marker), server.Stderr);
        var journal = server.WaitForStderr("client_gone=true");
        Assert.Contains("still-running", journal, StringComparison.Ordinal); // the output went to the journal instead
        Assert.Contains("Request finished id=hangup exit_code=0 client_gone=true", journal, StringComparison.Ordinal);
    }

    [Fact]
    public void Socket_mode_without_root_refuses_every_request_with_a_complete_frame()
    {
        var (dir, config) = Setup("sa-nonroot");
        var users = TestUsers.Instance;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        var socket = Path.Combine(dir, "n.sock");
        using var activate = new ActivatorProcess.Server("runuser",
            ["-u", users.Outsider, "--", "systemd-socket-activate", "-l", socket, "--accept", "--", "dotnet", ActivatorProcess.Dll, "--config", config], socket);
        var frames = Send(socket, "nonroot");
        FrameAssert.Refused(frames, "activator must be run as root in socket mode", "");
    }

    [Fact]
    public void Accept_no_serves_connections_one_at_a_time_then_exits_when_idle()
    {
        var (dir, config) = Setup("sa-listen", idleExit: 3);
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
