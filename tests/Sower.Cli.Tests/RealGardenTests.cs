using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Cli.Tests;

/// <summary>
/// The CLI with the real sower-garden (its own process, its real admin socket) connected to the test server, and a small
/// activator on a Unix socket that answers every request with success: submit --wait sees the real garden deploy, and
/// garden status/deploy go over the garden's real admin socket.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class RealGardenTests(TestServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-real-garden-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Submit_wait_follows_the_real_garden_and_admin_commands_use_its_socket()
    {
        var activatorSocket = Path.Combine(_dir, "act.sock");
        var adminSocket = Path.Combine(_dir, "admin.sock");
        await using var activator = new SuccessActivator(activatorSocket);
        var config = Path.Combine(_dir, "client.json");
        File.WriteAllText(config, new JsonObject
        {
            ["endpoint"] = server.Url,
            ["access_token"] = server.AdminToken,
            ["name"] = "realgarden01",
            ["state_directory"] = Path.Combine(_dir, "state"),
            ["admin_socket"] = adminSocket,
            ["activator_socket"] = activatorSocket,
            ["profiles"] = new JsonObject
            {
                ["system_profile"] = Path.Combine(_dir, "p/system"),
                ["current_system"] = Path.Combine(_dir, "p/cur"),
                ["booted_system"] = Path.Combine(_dir, "p/boot"),
            },
            ["subscriptions"] = new JsonObject
            {
                ["web"] = new JsonObject
                {
                    ["seed_type"] = "nixos",
                    ["seed_name"] = "realgarden01",
                    ["timezone"] = "Etc/UTC",
                    ["policy"] = new JsonObject { ["live"] = new JsonObject { ["actions"] = new JsonArray("activate"), ["triggers"] = new JsonArray("realtime", "manual") } },
                },
            },
        }.ToJsonString());

        using var garden = GardenProcess.Start(config);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        await Sow.Eventually(() => JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens?per_page=200").Result)!["items"]!.AsArray()
            .Any(g => (string?)g!["name"] == "realgarden01" && (bool)g["online"]!), "the real garden online", 60);
        await Sow.Eventually(() => SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ADMIN_SOCKET"] = adminSocket }, null, "garden", "status").ExitCode == 0,
            "the admin socket", 30);

        var status = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ADMIN_SOCKET"] = adminSocket }, null, "garden", "status");
        Assert.StartsWith("version: ", status.Stdout);
        Assert.Contains("active deployments: none", status.Stdout);

        await Sow.Eventually(() => JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens?per_page=200").Result)!["items"]!.AsArray()
            .Any(g => (string?)g!["name"] == "realgarden01"
                      && JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens/{g["sid"]}").Result)!["subscriptions"]!.AsArray().Count == 1),
            "the real garden's subscription", 30);

        var artifact = Sow.NixosArtifact("realgarden01");
        var submit = Sow.Run(server, "seed", "submit", artifact, "-n", "realgarden01", "-t", "nixos", "--no-git", "--wait", "--timeout", "90s");
        Assert.True(submit.ExitCode == 0, submit.Stdout + submit.Stderr + string.Join('\n', garden.Lines.TakeLast(30)));
        Assert.Contains("matched realgarden01/web: deploying", submit.Stdout);
        Assert.Contains("completed (success)", submit.Stdout);
        Assert.Contains(activator.Requests, r => r.Type == ActivatorRequestTypes.NixOS && r.Path == artifact);

        // A manual deploy through the garden's real admin socket (the same seed: the server answers, the garden enqueues).
        var deploy = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_CONFIG_FILE"] = config }, null, "garden", "deploy", "--type", "nixos", "--force");
        Assert.True(deploy.ExitCode == 0, deploy.Stdout + deploy.Stderr);
        Assert.Equal("deployment enqueued", deploy.Stdout.Trim());

        // The forced deploy switches again, and the garden reconnects to confirm it (magic rollback): wait for the session.
        await Sow.Eventually(() => SowerProcess.JsonLine(Sow.Run(server, "cluster", "gardens", "--json"))["gardens"]!.AsArray()
                .Any(g => (string?)g!["garden_name"] == "realgarden01" && g["node"] is not null),
            "the real garden in the cluster's session table", 60);
    }

    /// <summary>The real sower-garden from its own build output.</summary>
    private sealed class GardenProcess : IDisposable
    {
        private readonly Process _process;

        private GardenProcess(Process process) => _process = process;

        public ConcurrentQueue<string> Lines { get; } = new();

        public static GardenProcess Start(string config)
        {
            var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var repo = tests.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dll = Path.Combine(repo, "src", "Hosts", "Garden", "bin", tests.Parent!.Name, tests.Name, "sower-garden.dll");
            Assert.True(File.Exists(dll), $"missing {dll}");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(config);
            start.Environment.Remove("NOTIFY_SOCKET");
            start.Environment.Remove("WATCHDOG_USEC");
            start.Environment["DOTNET_gcServer"] = "0";
            var process = new Process { StartInfo = start };
            var garden = new GardenProcess(process);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) garden.Lines.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) garden.Lines.Enqueue(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return garden;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
            }
            _process.Dispose();
        }
    }

    /// <summary>An activator on a Unix socket (REFERENCE §7.2) that records each request and completes it with exit code 0.</summary>
    private sealed class SuccessActivator : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public SuccessActivator(string path)
        {
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(16);
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket client;
                    try { client = await _listener.AcceptAsync(_stop.Token); }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
                    _ = Task.Run(() => Serve(client));
                }
            });
        }

        public ConcurrentQueue<ActivatorRequest> Requests { get; } = new();

        private async Task Serve(Socket client)
        {
            using var _ = client;
            await using var stream = new NetworkStream(client);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            if (await reader.ReadLineAsync() is not { } line || ActivatorProtocol.ParseRequest(line).Request is not { } request) return;
            Requests.Enqueue(request);
            await stream.WriteAsync(ActivatorProtocol.SerializeFrameLine(ActivatorFrame.Output(request.Id, $"2026-01-01T00:00:00Z {request.Type} done")));
            await stream.WriteAsync(ActivatorProtocol.SerializeFrameLine(ActivatorFrame.Complete(request.Id, 0)));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            try { await _loop; } catch (OperationCanceledException) { }
        }
    }
}
