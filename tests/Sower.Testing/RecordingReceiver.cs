using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Sower.Testing;

/// <summary>A real HTTP listener on loopback that records every request; per path it answers 200, a chosen status, or
/// never (a hanging receiver).</summary>
public sealed class RecordingReceiver : IDisposable
{
    /// <param name="Status">What the receiver answered (0: it never answered).</param>
    public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTime At, int Status);

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<HttpListenerContext> _hanging = [];

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Status per path; a path set to 0 never answers. Unlisted paths answer 200.</summary>
    public ConcurrentDictionary<string, int> Status { get; } = new();

    public string BaseUrl { get; }

    public RecordingReceiver()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            BaseUrl = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        }
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _ = Task.Run(Loop);
    }

    public IEnumerable<Received> On(string path) => Requests.Where(r => r.Path == path);

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.OfType<string>().ToDictionary(k => k, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var path = context.Request.Url!.AbsolutePath;
            var status = Status.GetValueOrDefault(path, 200);
            Requests.Enqueue(new Received(path, headers, body.ToArray(), DateTime.UtcNow, status));
            if (status == 0)
            {
                _hanging.Add(context);
                continue;
            }
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var c in _hanging) c.Response.Abort();
        _listener.Close();
    }
}
