using System.Diagnostics;
using System.Text;

namespace Sower.Server.Tests.Infra;

/// <summary>The built <c>sower-server</c> as a real process.</summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-process-").FullName;

    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "sower-server.dll");

    private Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        info.ArgumentList.Add(ServerDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["SOWER_LOG_LEVEL"] = "Warning";
        return Process.Start(info)!;
    }

    [Fact]
    public async Task An_invalid_configuration_exits_78_listing_every_problem()
    {
        var config = Path.Combine(_dir, "server.json");
        await File.WriteAllTextAsync(config, """{"database":{"provider":"postgresql"},"stale_after_seconds":"-1"}""");
        using var process = Start("--config", config);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(78, process.ExitCode);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "Configuration validation failed: database.connection_string: required when database.provider is postgresql",
            "Configuration validation failed: stale_after_seconds: must be a positive integer",
        ], lines);
        Assert.Equal("", await stdout);
        Assert.False(Directory.Exists(Path.Combine(_dir, "data")));
    }

    [Fact]
    public async Task With_no_configuration_the_server_starts_in_dot_data_and_prints_the_admin_token_once()
    {
        var first = await RunUntilReadyAsync();
        var token = (await File.ReadAllTextAsync(Path.Combine(_dir, "data", "admin-token"))).Trim();
        Assert.Contains(token, first);
        Assert.True(File.Exists(Path.Combine(_dir, "data", "sower.db")));

        var second = await RunUntilReadyAsync();
        Assert.DoesNotContain("sower_", second);
        Assert.Equal(token, (await File.ReadAllTextAsync(Path.Combine(_dir, "data", "admin-token"))).Trim());
    }

    /// <summary>Starts the server on a free port, waits for /healthz/ready, stops it; returns its stdout.</summary>
    private async Task<string> RunUntilReadyAsync()
    {
        var port = FreePort();
        using var process = Start("--urls", $"http://127.0.0.1:{port}");
        var stdout = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                Assert.False(process.HasExited, "the server exited: " + stdout);
                try
                {
                    if ((await client.GetAsync("/healthz/ready")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) { /* not listening yet */ }
                Assert.True(DateTime.UtcNow < deadline, "the server did not become ready: " + stdout);
                await Task.Delay(200);
            }
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        lock (stdout) return stdout.ToString();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
