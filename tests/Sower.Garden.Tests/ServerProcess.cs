using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Sower.Garden.Tests;

/// <summary>The real sower-server process (from its own build output), with a throw-away data directory and port.</summary>
public sealed class ServerProcess : IDisposable
{
    private Process? _process;

    public ServerProcess(string dataDir, int? port = null)
    {
        DataDir = dataDir;
        Port = port ?? FreePort();
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public ConcurrentQueue<string> Lines { get; } = new();
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static string ServerDll
    {
        get
        {
            // tests/Sower.Garden.Tests/bin/<Configuration>/net10.0 → src/Hosts/Server/bin/<Configuration>/net10.0
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var configuration = baseDir.Parent!.Name;
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(repo, "src", "Hosts", "Server", "bin", configuration, "net10.0", "sower-server.dll");
        }
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { ServerDll, "--data-dir", DataDir, "--urls", Url, "--log-level", "Warning" }) start.ArgumentList.Add(a);
        start.Environment.Remove("NOTIFY_SOCKET");
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Lines.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException("sower-server exited:\n" + string.Join('\n', Lines));
            try
            {
                using var ready = await Http.GetAsync(Url + "/healthz/ready");
                if (ready.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException("sower-server never became ready:\n" + string.Join('\n', Lines));
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin-token")).Trim();

    public async Task<JsonNode> CallAsync(HttpMethod method, string path, string token, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, Url + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public async Task<string> CreateTokenAsync(params string[] roles) =>
        (string)(await CallAsync(HttpMethod.Post, "/api/v1/tokens", AdminToken,
            new JsonObject { ["description"] = "garden e2e", ["roles"] = new JsonArray(roles.Select(r => (JsonNode?)r).ToArray()) }))["token"]!;

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        Http.Dispose();
    }
}
