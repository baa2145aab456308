using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Cli;
using Sower.Server.Tests.Support;
using Sower.Testing;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// Two real <c>sower-server</c> processes on one real PostgreSQL database, B joining A's cluster: a credential revoked
/// through node A closes the hub connections held by node B within <see cref="Promise"/>, and B stops accepting the
/// token at once (its own token cache is invalidated, not only the cache of the node running the token store).
/// </summary>
public sealed class TwoNodeRevocationTests : IAsyncLifetime
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(5);

    private TestDatabase _database = null!;
    private ServerNode _a = null!;
    private ServerNode _b = null!;
    private HttpClient _adminA = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabases.CreatePostgresAsync();
        var clusterPort = FreePort();
        _a = ServerNode.Start("a", _database.ConnectionString, clusterPort, seed: null);
        await _a.WaitReady();
        _adminA = _a.Client(await _a.AdminToken());
        _b = ServerNode.Start("b", _database.ConnectionString, FreePort(), seed: $"akka.tcp://sower@127.0.0.1:{clusterPort}");
        await _b.WaitReady();
        await WaitUntilRevocationsReachB();
    }

    public async Task DisposeAsync()
    {
        _adminA?.Dispose();
        _b?.Dispose();
        _a?.Dispose();
        if (_database is not null) await _database.DisposeAsync();
    }

    /// <summary>Node A's pub-sub mediator learns of B's subscriber by gossip a moment after B joined: wait for that (a
    /// throw-away token's connection on B closing after its revocation on A), so the assertions measure revocation, not
    /// cluster start-up.</summary>
    private async Task WaitUntilRevocationsReachB()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var token = await Mint(Roles.SeedRead);
            await using var probe = await HubProbe.Open(_b.BaseAddress, CliHub.Path, token);
            await Revoke(token);
            if (await probe.ClosedWithin(TimeSpan.FromSeconds(2))) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("revocations on node A never reached node B:\n" + _a.Output() + "\n" + _b.Output());
        }
    }

    private async Task<string> Mint(params string[] roles)
    {
        var response = await _adminA.PostAsJsonAsync("/api/v1/tokens", new { description = "two-node", roles });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private async Task Revoke(string token) =>
        Assert.Equal(HttpStatusCode.NoContent, (await _adminA.DeleteAsync($"/api/v1/tokens/{TokenText.Sid(token)}")).StatusCode);

    [Fact]
    public async Task A_credential_revoked_through_one_node_closes_the_connections_held_by_the_other()
    {
        var response = await _adminA.PostAsJsonAsync("/api/v1/gardens/register", new { name = "two-node", host_identifier = "host-" + Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var credential = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("credential").GetString()!;
        await using var garden = await HubProbe.Open(_b.BaseAddress, GatewayProtocol.HubPath, credential);
        var joined = await garden.Connection.InvokeAsync<JsonElement>(GatewayProtocol.Join, new { protocol_version = GatewayProtocol.Version, version = "test" });
        Assert.True(joined.GetProperty("ok").GetBoolean(), joined.ToString());

        var cliToken = await Mint(Roles.SeedWrite, Roles.DeploymentRead);
        await using var cli = await HubProbe.Open(_b.BaseAddress, CliHub.Path, cliToken);
        using var cliOnB = _b.Client(cliToken);
        Assert.Equal(HttpStatusCode.OK, (await cliOnB.GetAsync("/api/v1/auth/verify")).StatusCode); // now in B's token cache

        await Revoke(credential);
        await Revoke(cliToken);

        Assert.True(await garden.ClosedWithin(Promise), "node B kept the garden connection open");
        Assert.True(await cli.ClosedWithin(Promise), "node B kept the CLI connection open");
        Assert.Equal(HttpStatusCode.Unauthorized, (await cliOnB.GetAsync("/api/v1/auth/verify")).StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One <c>sower-server</c> process (the build output next to the tests) with its own data directory.</summary>
    private sealed class ServerNode : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly string _dataDir;

        private ServerNode(Process process, string dataDir, Uri baseAddress)
        {
            _process = process;
            _dataDir = dataDir;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static ServerNode Start(string name, string connectionString, int clusterPort, string? seed)
        {
            var dataDir = Directory.CreateTempSubdirectory($"sower-node-{name}-").FullName;
            var httpPort = FreePort();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dataDir };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sower-server.dll"));
            info.Environment["SOWER_DATA_DIR"] = dataDir;
            info.Environment["SOWER_URLS"] = $"http://127.0.0.1:{httpPort}";
            info.Environment["SOWER_LOG_LEVEL"] = "Warning";
            info.Environment["SOWER_DATABASE__PROVIDER"] = "postgresql";
            info.Environment["SOWER_DATABASE__CONNECTION_STRING"] = connectionString;
            info.Environment["SOWER_CLUSTER__PORT"] = clusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (seed is not null) info.Environment["SOWER_CLUSTER__SEED_NODES"] = seed;
            var node = new ServerNode(Process.Start(info)!, dataDir, new Uri($"http://127.0.0.1:{httpPort}"));
            node._process.OutputDataReceived += (_, e) => node.Append(e.Data);
            node._process.ErrorDataReceived += (_, e) => node.Append(e.Data);
            node._process.BeginOutputReadLine();
            node._process.BeginErrorReadLine();
            return node;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
        }

        public string Output()
        {
            lock (_output) return _output.ToString();
        }

        public HttpClient Client(string? token = null)
        {
            var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
            if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task WaitReady()
        {
            using var client = Client();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                Assert.False(_process.HasExited, "sower-server exited:\n" + Output());
                try
                {
                    if ((await client.GetAsync("/healthz/ready")).IsSuccessStatusCode) return;
                }
                catch (HttpRequestException) { /* not listening yet */ }
                catch (TaskCanceledException) { /* busy starting */ }
                Assert.True(DateTime.UtcNow < deadline, "sower-server did not become ready:\n" + Output());
                await Task.Delay(200);
            }
        }

        public async Task<string> AdminToken() =>
            (await File.ReadAllTextAsync(Path.Combine(_dataDir, "admin-token"))).Trim();

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException) { /* already gone */ }
            _process.Dispose();
            try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
