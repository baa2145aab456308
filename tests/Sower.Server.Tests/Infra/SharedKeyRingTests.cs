using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sower.Server.Configuration;
using Sower.Server.Tests.Support;
using Sower.Testing;

namespace Sower.Server.Tests.Infra;

/// <summary>The Data Protection key ring in the journal's database: a console cookie issued by one node is valid on
/// another (two real server processes on one PostgreSQL database), and the key files an older single node wrote to
/// <c>&lt;data_dir&gt;/keys</c> keep working after the upgrade.</summary>
public sealed partial class SharedKeyRingTests
{
    [Fact]
    public async Task A_console_cookie_issued_by_one_node_is_valid_on_another_node_of_the_cluster()
    {
        await using var db = await TestDatabases.CreatePostgresAsync();
        using var dirs = new TempDirs();
        var clusterPort = FreePort();
        await using var a = await ServerProcess.StartAsync(dirs.New("a"), db, clusterPort, seed: null);
        await using var b = await ServerProcess.StartAsync(dirs.New("b"), db, FreePort(), seed: $"akka.tcp://sower@127.0.0.1:{clusterPort}");
        var admin = (await File.ReadAllTextAsync(Path.Combine(a.DataDir, "admin-token"))).Trim();

        // Sign in on A through the console's form (antiforgery token and all).
        var cookies = new CookieContainer();
        using var browserA = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = a.BaseAddress };
        var page = await (await browserA.GetAsync("/signin")).Content.ReadAsStringAsync();
        var form = WebUtility.HtmlDecode(AntiforgeryField().Match(page).Groups[1].Value);
        var signIn = await browserA.PostAsync("/ui/session/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = form,
            ["token"] = admin,
            ["returnUrl"] = "/gardens",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var session = cookies.GetCookies(a.BaseAddress)["sower_session"]?.Value;
        Assert.False(string.IsNullOrEmpty(session), "no session cookie after sign-in on A");

        // Only that cookie, presented to B: B reads it (the same key ring) and shows the page.
        using var browserB = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = b.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/gardens");
        request.Headers.Add("Cookie", "sower_session=" + session);
        var onB = await browserB.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, onB.StatusCode);

        // A tampered cookie is refused by B like any stranger: back to the sign-in page.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/gardens");
        forged.Headers.Add("Cookie", "sower_session=" + session[..^4] + (session.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"));
        var refused = await browserB.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/signin", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_an_older_single_node_left_in_the_data_directory_are_imported_and_still_unprotect()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sower-test-" + Guid.NewGuid().ToString("N")[..12]);
        var keys = Path.Combine(dataDir, "keys");
        Directory.CreateDirectory(keys);
        // What the earlier server did: the "sower" key ring as files in <data_dir>/keys.
        var legacy = DataProtectionProvider.Create(new DirectoryInfo(keys), o => o.SetApplicationName("sower"));
        var payload = legacy.CreateProtector("sower-test").Protect("issued before the upgrade");
        var legacyKeyFile = Assert.Single(Directory.GetFiles(keys, "*.xml"));

        var server = new TestServer { DataDir = dataDir };
        await server.InitializeAsync();
        try
        {
            var provider = server.Services.GetRequiredService<IDataProtectionProvider>();
            Assert.Equal("issued before the upgrade", provider.CreateProtector("sower-test").Unprotect(payload));
            await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "sower.db")}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM {DatabaseXmlRepository.Table} WHERE friendly_name = @name";
            command.Parameters.AddWithValue("@name", Path.GetFileNameWithoutExtension(legacyKeyFile));
            Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class TempDirs : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("sower-keyring-").FullName;

        public string New(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

        public void Dispose()
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The built sower-server as a real process on the given database, one cluster port, optionally joining a seed.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ServerProcess(Process process, string dataDir, Uri baseAddress)
        {
            _process = process;
            DataDir = dataDir;
            BaseAddress = baseAddress;
        }

        public string DataDir { get; }
        public Uri BaseAddress { get; }

        public static async Task<ServerProcess> StartAsync(string dataDir, TestDatabase db, int clusterPort, string? seed)
        {
            var port = FreePort();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dataDir };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sower-server.dll"));
            info.ArgumentList.Add("--urls");
            info.ArgumentList.Add($"http://127.0.0.1:{port}");
            foreach (var v in new[] { "INVOCATION_ID", "JOURNAL_STREAM", "NOTIFY_SOCKET" }) info.Environment.Remove(v);
            info.Environment["SOWER_LOG_LEVEL"] = "Warning";
            info.Environment["SOWER_DATA_DIR"] = dataDir;
            info.Environment["SOWER_DATABASE__PROVIDER"] = "postgresql";
            info.Environment["SOWER_DATABASE__CONNECTION_STRING"] = db.ConnectionString;
            info.Environment["SOWER_CLUSTER__PORT"] = clusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (seed is not null) info.Environment["SOWER_CLUSTER__SEED_NODES"] = seed;
            var process = Process.Start(info)!;
            var server = new ServerProcess(process, dataDir, new Uri($"http://127.0.0.1:{port}"));
            process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                try
                {
                    if ((await client.GetAsync("/healthz/ready")).IsSuccessStatusCode) return server;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { /* not listening yet */ }
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    await server.DisposeAsync();
                    lock (server._output) throw new TimeoutException($"server in {dataDir} did not become ready:\n{server._output}");
                }
                await Task.Delay(200);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
    }
}
