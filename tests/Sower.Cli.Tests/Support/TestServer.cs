using Microsoft.AspNetCore.Builder;
using Sower.Server.Configuration;

namespace Sower.Cli.Tests.Support;

/// <summary>
/// The real server, composed by Program.cs's SowerServerApp.Build, on a fresh data directory and a random loopback port.
/// One per test class (xUnit class fixture).
/// </summary>
public sealed class TestServer : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("sower-cli-server-").FullName;

    public string Url { get; private set; } = "";

    public string AdminToken { get; private set; } = "";

    /// <summary>The server exactly as the sower-server process composes it.</summary>
    public static WebApplication Build(ServerOptions options) => SowerServerApp.Build(options);

    public async Task InitializeAsync()
    {
        var loaded = ServerOptionsLoader.LoadAndPrepare(["--data-dir", DataDir, "--urls", "http://127.0.0.1:0", "--log-level", "Warning"],
            new Dictionary<string, string?>());
        Assert.True(loaded.IsValid, "server options invalid");
        _app = Build(loaded.Options!);
        await _app.StartAsync();
        Url = _app.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        var tokenFile = Path.Combine(DataDir, "admin-token");
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(tokenFile) && (await File.ReadAllTextAsync(tokenFile)).Trim() is { Length: > 0 } token)
            {
                var ready = await http.GetAsync(Url + "/healthz/ready");
                if (ready.IsSuccessStatusCode)
                {
                    AdminToken = token;
                    return;
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the test server did not become ready within 60 s");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
