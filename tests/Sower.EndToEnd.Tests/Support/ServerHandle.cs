using System.Net;
using System.Net.Sockets;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>The real <c>sower-server</c>: SQLite in its own data directory, a fixed random loopback port across restarts.</summary>
public sealed class ServerHandle : IDisposable
{
    private readonly ManagedProcess _process;

    public ServerHandle(Binaries binaries, string runDir)
    {
        DataDir = Path.Combine(runDir, "server-data");
        Port = FreePort();
        _process = new ManagedProcess("sower-server", Path.Combine(runDir, "logs", "server.log"),
            [binaries.Server, "--data-dir", DataDir, "--urls", Url, "--log-level", "Information"]);
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public string AdminTokenFile => Path.Combine(DataDir, "admin-token");
    public ManagedProcess Process => _process;

    public async Task StartAsync()
    {
        _process.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Wait.Until(async () =>
        {
            if (!_process.Running) throw new InvalidOperationException("sower-server exited");
            using var response = await http.GetAsync(Url + "/healthz/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(90), "sower-server to report ready on /healthz/ready", () => _process.Tail(60));
    }

    public void Kill9() => _process.Kill9();

    public void Stop() => _process.Stop();

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose() => _process.Dispose();
}
