using System.Net.Sockets;
using System.Text;

namespace Sower.Activator.Tests;

/// <summary>
/// <c>dotnet Sower.Activator.Tests.dll client SOCKET REQUEST</c>: connects to the activator socket, sends REQUEST and a
/// newline, and copies every response line to stdout. Tests run it through <c>runuser -u USER</c> so the activator
/// sees a real peer with that user's uid, gid and groups. Exit 0 when the connection worked, 2 when it failed.
/// </summary>
public static class TestClient
{
    public static int Main(string[] args)
    {
        if (args.Length != 3 || args[0] != "client")
        {
            Console.Error.WriteLine("usage: client SOCKET REQUEST");
            return 2;
        }
        try
        {
            foreach (var line in Exchange(args[1], Encoding.UTF8.GetBytes(args[2] + "\n"), TimeSpan.FromSeconds(30))) Console.Out.WriteLine(line);
            return 0;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            Console.Error.WriteLine($"connect failed: {e.Message}");
            return 2;
        }
    }

    /// <summary>Sends raw bytes to a Unix socket and returns the response lines until the activator closes.</summary>
    public static List<string> Exchange(string socketPath, byte[] request, TimeSpan limit)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = (int)limit.TotalMilliseconds;
        socket.SendTimeout = (int)limit.TotalMilliseconds;
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            stream.Write(request);
        }
        catch (IOException)
        {
            // The activator may refuse (e.g. a too-large request) before reading everything; its reply still counts.
        }
        var lines = new List<string>();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        try
        {
            while (reader.ReadLine() is { } line) lines.Add(line);
        }
        catch (IOException)
        {
        }
        return lines;
    }
}
