using System.Net.Sockets;

namespace Sower.Activator;

/// <summary>Serves socket connections: one accepted connection, or a listening socket one connection at a time.</summary>
public sealed class SocketServer(RequestPipeline pipeline, IAccounts accounts, ActivatorLog log)
{
    // A client that stops reading must not stall an activation forever; after this its frames are dropped.
    private const int SendTimeoutMs = 30_000;

    /// <summary>Handles one connection: reads the peer's credentials, runs the request, closes.</summary>
    public async Task<int> ServeConnectionAsync(Socket socket)
    {
        socket.SendTimeout = SendTimeoutMs;
        var peer = ActivatorPeerCredentials.Read((int)socket.Handle, accounts);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var code = await pipeline.HandleAsync(stream, stream, Connection.Socket(peer)).ConfigureAwait(false);
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        return code;
    }

    /// <summary>
    /// Accepts and serves connections one at a time until <paramref name="stop"/> fires or, when
    /// <paramref name="idleExit"/> is positive, no connection arrived for that long. Returns 0.
    /// </summary>
    public async Task<int> ServeListenerAsync(Socket listener, TimeSpan idleExit, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var idle = idleExit > TimeSpan.Zero ? new CancellationTokenSource(idleExit) : new CancellationTokenSource();
            using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, idle.Token);
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(both.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (idle.IsCancellationRequested && !stop.IsCancellationRequested) log.JournalOnly("Idle, exiting", ("idle_seconds", ActivatorMessages.Seconds(idleExit)));
                break;
            }
            catch (SocketException e)
            {
                log.JournalOnly("Accept failed", ("error", e.Message));
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            using (connection)
            {
                try
                {
                    await ServeConnectionAsync(connection).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // The pipeline never throws; this guards the socket plumbing around it. Keep serving.
                    log.JournalOnly("Connection failed", ("error", e.Message));
                }
            }
        }
        return 0;
    }
}
