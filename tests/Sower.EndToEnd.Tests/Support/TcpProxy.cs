using System.Net;
using System.Net.Sockets;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// A loopback TCP forwarder between a garden and the server, so a test can take the network away from the garden
/// (every connection closed, new ones refused) while the server keeps running and seeds keep arriving.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly int _target;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();

    public TcpProxy(int targetPort)
    {
        _target = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    public int Port { get; }

    public void Restore()
    {
        if (_listener is not null) return;
        _cts = new CancellationTokenSource();
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _ = AcceptLoop(listener, _cts.Token);
    }

    /// <summary>Closes the listener and every forwarded connection: the garden sees the server vanish.</summary>
    public void Cut()
    {
        _cts.Cancel();
        _listener?.Stop();
        _listener = null;
        lock (_open)
        {
            foreach (var c in _open)
            {
                try { c.Client.LingerState = new LingerOption(true, 0); c.Close(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            }
            _open.Clear();
        }
    }

    private async Task AcceptLoop(TcpListener listener, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await listener.AcceptTcpClientAsync(token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var outbound = new TcpClient();
            try { await outbound.ConnectAsync(IPAddress.Loopback, _target, token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                inbound.Close();
                outbound.Close();
                continue;
            }
            lock (_open) { _open.Add(inbound); _open.Add(outbound); }
            _ = Pump(inbound, outbound, token);
            _ = Pump(outbound, inbound, token);
        }
    }

    private static async Task Pump(TcpClient from, TcpClient to, CancellationToken token)
    {
        var buffer = new byte[16384];
        try
        {
            var src = from.GetStream();
            var dst = to.GetStream();
            while (true)
            {
                var n = await src.ReadAsync(buffer, token);
                if (n == 0) break;
                await dst.WriteAsync(buffer.AsMemory(0, n), token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or SocketException) { }
        try { to.Client.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public void Dispose() => Cut();
}
