using System.Diagnostics;
using System.Text;

namespace Sower.Server.Tests.Infra;

/// <summary>The built <c>sower-server</c> as a real process.</summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-process-").FullName;

    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "sower-server.dll");

    private Process Start(params string[] args) => Start(null, args);

    private Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        info.ArgumentList.Add(ServerDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["SOWER_LOG_LEVEL"] = "Warning";
        // Whatever runs the tests may itself be a systemd unit: the server must see only what a test sets.
        foreach (var v in new[] { "INVOCATION_ID", "JOURNAL_STREAM", "NOTIFY_SOCKET" }) info.Environment.Remove(v);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
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
    public async Task With_no_configuration_the_server_starts_in_dot_data_and_prints_only_the_admin_token_path()
    {
        var first = await RunUntilReadyAsync();
        var token = (await File.ReadAllTextAsync(Path.Combine(_dir, "data", "admin-token"))).Trim();
        // stdout ends up in logs others may read (issue 20): the path, never the token.
        Assert.DoesNotContain(token, first);
        Assert.Contains($"it is in {Path.Combine(_dir, "data", "admin-token")} (mode 0600)", first);
        Assert.True(File.Exists(Path.Combine(_dir, "data", "sower.db")));

        var second = await RunUntilReadyAsync();
        Assert.DoesNotContain("sower_", second);
        Assert.Equal(token, (await File.ReadAllTextAsync(Path.Combine(_dir, "data", "admin-token"))).Trim());
    }

    [Theory]
    [InlineData("INVOCATION_ID", "0f3c9a7e5b2d4c1e8a6f9b0c2d4e6f80")]
    [InlineData("JOURNAL_STREAM", "8:123456")]
    [InlineData("NOTIFY_SOCKET", "{dir}/notify")] // a path nobody listens on: never the real systemd's socket
    public async Task Under_systemd_the_first_admin_token_goes_only_to_its_file_and_stdout_names_the_file(string variable, string value)
    {
        var stdout = await RunUntilReadyAsync(new Dictionary<string, string> { [variable] = value.Replace("{dir}", _dir, StringComparison.Ordinal) });

        var file = Path.Combine(_dir, "data", "admin-token");
        var token = (await File.ReadAllTextAsync(file)).Trim();
        Assert.StartsWith("sower_", token, StringComparison.Ordinal);
        Assert.DoesNotContain(token, stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("sower_", stdout, StringComparison.Ordinal);
        Assert.Contains($"it is in {file} (mode 0600)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Every_start_makes_a_world_readable_data_directory_private_again()
    {
        var data = Path.Combine(_dir, "data");
        await RunUntilReadyAsync();
        // Fresh: the database and what SQLite made next to it are private from the first start on.
        AssertPrivate(data);

        // As a backup restore, an older version or a careless chmod -R leaves it: everything readable by everyone.
        // The key ring lives in the database now; an older version left files in keys/.
        var keys = Path.Combine(data, "keys");
        await File.WriteAllTextAsync(Path.Combine(keys, "left-by-an-older-version.txt"), "");
        foreach (var companion in new[] { "sower.db-wal", "sower.db-shm" })
        {
            if (!File.Exists(Path.Combine(data, companion))) await File.WriteAllBytesAsync(Path.Combine(data, companion), []);
        }
        const UnixFileMode Open = (UnixFileMode)0b110_100_100, OpenDir = (UnixFileMode)0b111_101_101;
        File.SetUnixFileMode(data, OpenDir);
        File.SetUnixFileMode(keys, OpenDir);
        foreach (var file in Directory.GetFiles(data).Concat(Directory.GetFiles(keys))) File.SetUnixFileMode(file, Open);

        var second = await RunUntilReadyAsync();

        AssertPrivate(data);
        Assert.DoesNotContain("sower_", second, StringComparison.Ordinal);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void AssertPrivate(string data)
    {
        const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode PrivateDir = PrivateFile | UnixFileMode.UserExecute;
        Assert.Equal(PrivateDir, File.GetUnixFileMode(data));
        Assert.Equal(PrivateDir, File.GetUnixFileMode(Path.Combine(data, "keys")));
        var files = new[] { "sower.db", "sower.db-wal", "sower.db-shm", "admin-token" }.Select(f => Path.Combine(data, f)).Where(File.Exists)
            .Concat(Directory.GetFiles(Path.Combine(data, "keys"))).ToList();
        Assert.Contains(Path.Combine(data, "sower.db"), files);
        Assert.Contains(Path.Combine(data, "admin-token"), files);
        foreach (var file in files) Assert.True(File.GetUnixFileMode(file) == PrivateFile, $"{file} is {File.GetUnixFileMode(file)}");
    }

    /// <summary>Starts the server on a free port, waits for /healthz/ready, stops it; returns its stdout.</summary>
    private async Task<string> RunUntilReadyAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        using var process = Start(environment, "--urls", $"http://127.0.0.1:{port}");
        var stdout = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                Assert.False(process.HasExited, "the server exited: " + stdout);
                try
                {
                    if ((await client.GetAsync("/healthz/ready")).IsSuccessStatusCode) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { /* not listening yet, or slow under load */ }
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
