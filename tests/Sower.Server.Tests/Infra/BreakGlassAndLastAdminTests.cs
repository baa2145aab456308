using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sower.Messages.Tokens;

namespace Sower.Server.Tests.Infra;

/// <summary>Issue 12 finding 1: the last valid admin token cannot be revoked (409), and when every admin token is lost
/// the offline break-glass <c>sower-server admin-token</c> mints a new one into the real SQLite journal, which the real
/// server then accepts.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BreakGlassAndLastAdminTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-breakglass-").FullName;
    private string DataDir => Path.Combine(_dir, "data");

    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "sower-server.dll");

    [Fact]
    public async Task The_last_valid_admin_token_cannot_be_revoked_and_the_409_says_why()
    {
        await using var host = await InfraHost.StartAsync(DataDir);
        var adminSid = host.AdminToken.Split('_')[1];
        using var admin = host.Client(host.AdminToken);

        var refused = await admin.DeleteAsync($"/api/v1/tokens/{adminSid}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(AccessTokenStore.LastAdminMessage, body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/auth/verify")).StatusCode);

        var second = JsonDocument.Parse(await (await admin.PostAsync("/api/v1/tokens",
            new StringContent("""{"description":"second admin","roles":["admin"]}""", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync()).RootElement;
        using var asSecond = host.Client(second.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.NoContent, (await asSecond.DeleteAsync($"/api/v1/tokens/{adminSid}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await asSecond.DeleteAsync($"/api/v1/tokens/{second.GetProperty("sid").GetString()}")).StatusCode);
    }

    [Fact]
    public async Task Break_glass_refuses_while_the_server_runs_then_mints_an_admin_token_the_restarted_server_accepts()
    {
        var config = Path.Combine(_dir, "server.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { data_dir = DataDir }));

        string lostAdmin;
        await using (var server = await ServerProcess.StartAsync(_dir, "--config", config))
        {
            lostAdmin = (await File.ReadAllTextAsync(Path.Combine(DataDir, "admin-token"))).Trim();
            var (busyCode, _, busyErr) = await RunAsync("admin-token", "--data-dir", DataDir);
            Assert.Equal(75, busyCode);
            Assert.Contains("a sower-server is running on", busyErr);
            Assert.Contains("Stop it first", busyErr);
        }
        File.Delete(Path.Combine(DataDir, "admin-token"));   // every admin token is lost

        var (code, stdout, stderr) = await RunAsync("admin-token", "--config", config);
        Assert.True(code == 0, $"admin-token exited {code}: {stderr}");
        var token = stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("sower_", StringComparison.Ordinal));
        var path = stdout.Split(' ').Select(w => w.Trim()).Single(w => w.StartsWith(DataDir + "/admin-token.break-glass-", StringComparison.Ordinal));
        Assert.Equal(token, (await File.ReadAllTextAsync(path)).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        await using (var server = await ServerProcess.StartAsync(_dir, "--data-dir", DataDir))
        {
            using var client = server.Client(token);
            var verify = JsonDocument.Parse(await (await client.GetAsync("/api/v1/auth/verify")).Content.ReadAsStringAsync()).RootElement;
            Assert.Equal([Roles.Admin], verify.GetProperty("permissions").EnumerateArray().Select(r => r.GetString()!).ToArray());
            var tokens = JsonDocument.Parse(await (await client.GetAsync("/api/v1/tokens")).Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
            var minted = tokens.Single(t => t.GetProperty("sid").GetString() == token.Split('_')[1]);
            Assert.StartsWith("break-glass admin token", minted.GetProperty("description").GetString());
            Assert.Equal("server", minted.GetProperty("created_by").GetProperty("kind").GetString());
            // The recovered admin can now manage tokens again, and the first admin token is still there to revoke.
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/tokens/{lostAdmin.Split('_')[1]}")).StatusCode);
        }
    }

    [Fact]
    public async Task Break_glass_with_a_bad_option_exits_78_and_writes_nothing()
    {
        var (code, stdout, stderr) = await RunAsync("admin-token", "--data-dir", DataDir, "--valid-days", "0");
        Assert.Equal(78, code);
        Assert.Contains("--valid-days: must be a whole number of days", stderr);
        Assert.DoesNotContain("sower_", stdout);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        info.ArgumentList.Add(ServerDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["SOWER_LOG_LEVEL"] = "Warning";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The real <c>sower-server</c> process on a free port, ready, killed on dispose.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public HttpClient Client(string token)
        {
            var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public static async Task<ServerProcess> StartAsync(string workDir, params string[] args)
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
            info.ArgumentList.Add(ServerDll);
            foreach (var arg in args.Concat(["--urls", $"http://127.0.0.1:{port}"])) info.ArgumentList.Add(arg);
            info.Environment["SOWER_LOG_LEVEL"] = "Warning";
            var server = new ServerProcess(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"));
            server._process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
            server._process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            using var probe = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                Assert.False(server._process.HasExited, "the server exited: " + server.Output);
                try
                {
                    if ((await probe.GetAsync("/healthz/ready")).IsSuccessStatusCode) return server;
                }
                catch (HttpRequestException) { /* not listening yet */ }
                catch (TaskCanceledException) { /* slow machine */ }
                Assert.True(DateTime.UtcNow < deadline, "the server did not become ready: " + server.Output);
                await Task.Delay(250);
            }
        }

        private string Output { get { lock (_output) return _output.ToString(); } }

        public async ValueTask DisposeAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
