using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Sower.Messages.Activator;

namespace Sower.Garden.Tests;

/// <summary>
/// A small activator on a real Unix socket speaking REFERENCE §7.2: one request line per connection, output frames, then
/// complete. It records every request; <see cref="Behaviour"/> decides the exit code (and may delay) per request.
/// </summary>
public sealed class FakeActivatorServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeActivatorServer(string path)
    {
        SocketPath = path;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(16);
        _loop = Task.Run(AcceptLoop);
    }

    public string SocketPath { get; }
    public ConcurrentQueue<ActivatorRequest> Requests { get; } = new();
    public Func<ActivatorRequest, Task<int>> Behaviour { get; set; } = _ => Task.FromResult(0);

    /// <summary>Extra frames sent before complete (e.g. the error frame of a confirm that finds its deadline fired).</summary>
    public Func<ActivatorRequest, IEnumerable<ActivatorFrame>> ExtraFrames { get; set; } = _ => [];

    public List<ActivatorRequest> OfType(string type) => Requests.Where(r => r.Type == type).ToList();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(Socket client)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var line = await reader.ReadLineAsync();
        if (line is null) return;
        var parsed = ActivatorProtocol.ParseRequest(line);
        if (parsed.Request is not { } request) return;
        Requests.Enqueue(request);
        await stream.WriteAsync(ActivatorProtocol.SerializeFrameLine(ActivatorFrame.Output(request.Id, $"2026-01-01T00:00:00Z \u001b[1mworking\u001b[0m on {request.Type}")));
        int exit;
        try { exit = await Behaviour(request); }
        catch (Exception) { return; } // simulates a dropped connection
        try
        {
            foreach (var frame in ExtraFrames(request)) await stream.WriteAsync(ActivatorProtocol.SerializeFrameLine(frame));
            await stream.WriteAsync(ActivatorProtocol.SerializeFrameLine(ActivatorFrame.Complete(request.Id, exit)));
        }
        catch (IOException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try { await _loop; } catch (Exception) { }
        try { File.Delete(SocketPath); } catch (IOException) { }
    }
}
