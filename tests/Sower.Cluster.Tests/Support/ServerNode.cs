using System.Net;
using System.Net.Sockets;

namespace Sower.Cluster.Tests.Support;

/// <summary>One real <c>sower-server</c> on the shared PostgreSQL database: fixed loopback HTTP and remoting ports across
/// restarts, its own data directory, settings through a config file.</summary>
public sealed class ServerNode : IDisposable
{
    private readonly ManagedProcess _process;

    public ServerNode(string name, string runDir, string connectionString, Action<ServerNode, Dictionary<string, object>>? configure = null)
    {
        Name = name;
        DataDir = Path.Combine(runDir, name);
        Directory.CreateDirectory(DataDir);
        HttpPort = FreePort();
        RemotingPort = FreePort();
        var config = new Dictionary<string, object>
        {
            ["data_dir"] = DataDir,
            ["urls"] = new[] { Url },
            ["database"] = new Dictionary<string, object> { ["provider"] = "postgresql", ["connection_string"] = connectionString },
            ["cluster"] = new Dictionary<string, object> { ["hostname"] = "127.0.0.1", ["port"] = RemotingPort },
            ["log_level"] = "Information",
        };
        configure?.Invoke(this, config);
        var file = Path.Combine(runDir, name + ".json");
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(config));
        _process = new ManagedProcess(name, Path.Combine(runDir, name + ".log"), [Locate(), "--config", file]);
    }

    public string Name { get; }
    public string DataDir { get; }
    public int HttpPort { get; }
    public int RemotingPort { get; }
    public string Url => $"http://127.0.0.1:{HttpPort}";
    public string Address => $"akka.tcp://sower@127.0.0.1:{RemotingPort}";
    public ManagedProcess Process => _process;

    /// <summary>When this node was last started: of the running members, the earliest started is the oldest, which holds
    /// the cluster singletons (the token store among them).</summary>
    public DateTime StartedAt { get; private set; }

    public void Start()
    {
        StartedAt = DateTime.UtcNow;
        _process.Start();
    }

    /// <summary>Waits for readiness; a node that exits meanwhile fails the wait at once (with the log's tail).</summary>
    public Task WaitReadyAsync(TimeSpan? limit = null) => WaitReadyRestartingAsync(maxRestarts: 0, limit ?? TimeSpan.FromSeconds(120));

    /// <summary>Times this node exited on its own while <see cref="WaitRestartingAsync"/> waited, and was started again.</summary>
    public int Restarts { get; private set; }

    /// <summary>Waits for readiness, starting the node again if it exits meanwhile (see <see cref="WaitRestartingAsync"/>).</summary>
    public Task WaitReadyRestartingAsync(int maxRestarts = 2, TimeSpan? limit = null) =>
        WaitRestartingAsync(() => Task.FromResult(true), "report ready", maxRestarts, limit ?? TimeSpan.FromSeconds(180));

    /// <summary>
    /// Waits until the node is ready and <paramref name="condition"/> holds, the way the documented unit runs a node
    /// (<c>Restart=always</c>, <c>RestartSec=5</c>): a node that exits meanwhile — a starved process on a loaded machine
    /// stops answering heartbeats, and the cluster's split-brain resolver downs it, which stops it, also shortly after it
    /// joined — is started again, at most <paramref name="maxRestarts"/> times.
    /// </summary>
    public async Task WaitRestartingAsync(Func<Task<bool>> condition, string what, int maxRestarts, TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var restartAt = (DateTime?)null;
        var restarted = 0;
        await Wait.Until(async () =>
        {
            if (!_process.Running)
            {
                // An XunitException, so the wait fails now rather than retrying until its limit.
                if (restarted >= maxRestarts) throw new Xunit.Sdk.XunitException($"{Name} exited ({_process.ExitCode}) after {restarted} restarts");
                restartAt ??= DateTime.UtcNow.AddSeconds(5);
                if (DateTime.UtcNow < restartAt) return false;
                restartAt = null;
                restarted++;
                Restarts++;
                Start();
                return false;
            }
            using var response = await http.GetAsync(Url + "/healthz/ready");
            return response.StatusCode == HttpStatusCode.OK && await condition();
        }, limit, $"{Name} to {what}", () => _process.Tail(40));
    }

    public void Kill9() => _process.Kill9();
    public void Stop() => _process.Stop(TimeSpan.FromSeconds(30));

    private static string Locate()
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd('/');
        var framework = Path.GetFileName(baseDir);
        var configuration = Path.GetFileName(Path.GetDirectoryName(baseDir)!);
        var root = new DirectoryInfo(baseDir);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Sower.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"cannot find Sower.sln above {baseDir}");
        var path = Path.Combine(root.FullName, "src/Hosts/Server", "bin", configuration, framework, "sower-server");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build the solution first");
    }

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
