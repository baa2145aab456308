using System.Globalization;

namespace Sower.Activator;

/// <summary>How the activator was started: which descriptor (if any) carries a socket, and whether it listens.</summary>
public sealed record Transport(TransportKind Kind, int Fd)
{
    public bool IsConnection => Kind is TransportKind.Connection or TransportKind.Pipe;

    /// <summary>
    /// Detects the transport (REFERENCE §7.1): LISTEN_FDS meant for this process → fd 3, a listening socket (Accept=no)
    /// or a connection (Accept=yes, as systemd-socket-activate --accept passes it); else stdin, when it is a socket
    /// (systemd Accept=yes with StandardInput=socket); else a pipe. Inherited descriptors are made close-on-exec and
    /// the LISTEN_* variables removed, so no child ever inherits the client socket.
    /// </summary>
    public static Transport Detect()
    {
        var listenPid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var listenFds = Environment.GetEnvironmentVariable("LISTEN_FDS");
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        if (int.TryParse(listenPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid == Native.getpid()
            && int.TryParse(listenFds, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1)
        {
            for (var fd = 3; fd < 3 + count; fd++) Native.SetCloseOnExec(fd);
            if (Native.IsSocket(3)) return new Transport(Native.IsListening(3) ? TransportKind.Listener : TransportKind.Connection, 3);
        }
        if (Native.IsSocket(0)) return new Transport(Native.IsListening(0) ? TransportKind.Listener : TransportKind.Connection, 0);
        return new Transport(TransportKind.Pipe, 0);
    }
}

public enum TransportKind
{
    /// <summary>stdin is not a socket: one request on stdin, replies on stdout, caller's privileges.</summary>
    Pipe,

    /// <summary>One accepted connection (Accept=yes).</summary>
    Connection,

    /// <summary>A listening socket (Accept=no): serve connections one at a time, exit when idle.</summary>
    Listener,
}
