using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sower.Garden;

/// <summary>
/// A minimal sd_notify client: one Unix datagram per message to <c>$NOTIFY_SOCKET</c> (a path, or '@' for the abstract
/// namespace). Without NOTIFY_SOCKET every call does nothing.
/// </summary>
public sealed class SdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly EndPoint? _endpoint;

    public SdNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket)) return;
        var path = notifySocket.StartsWith('@') ? "\0" + notifySocket[1..] : notifySocket;
        _endpoint = new UnixDomainSocketEndPoint(path);
        // Non-blocking: a Unix datagram send blocks once the reader's queue is full (net.unix.max_dgram_qlen, 10 by default),
        // and a stalled service manager must never stall the garden's shutdown, actors or watchdog with it.
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    }

    public bool Enabled => _socket is not null;

    /// <summary>Half of <c>WATCHDOG_USEC</c> when the watchdog is meant for this process, else null.</summary>
    public static TimeSpan? WatchdogInterval(Func<string, string?> env, int pid)
    {
        if (!long.TryParse(env("WATCHDOG_USEC"), out var usec) || usec <= 0) return null;
        var forPid = env("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(forPid) && forPid != pid.ToString(System.Globalization.CultureInfo.InvariantCulture)) return null;
        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    public void Notify(string state)
    {
        if (_socket is null || _endpoint is null) return;
        try { _socket.SendTo(Encoding.UTF8.GetBytes(state), _endpoint); }
        catch (SocketException) { } // gone during shutdown, or not reading (queue full): the message is dropped, never fatal
    }

    public void Dispose() => _socket?.Dispose();
}
