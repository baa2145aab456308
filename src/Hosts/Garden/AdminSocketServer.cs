using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sower.Actors.Garden;
using Sower.Messages.GardenDaemon;

namespace Sower.Garden;

/// <summary>
/// The admin socket (REFERENCE §5.15): a Unix stream socket, mode 0660, peer credentials checked, one JSON request line per
/// connection within 5 s, every reply followed by <c>complete</c>. A bind failure is logged and the garden keeps running.
/// </summary>
public sealed class AdminSocketServer(GardenConfig config, IRequiredActor<GardenHostKey> host, ILogger<AdminSocketServer> logger) : BackgroundService
{
    private Socket? _listener;
    // StopAsync closes the listener before the base class cancels the stopping token: the accept that fails then is the
    // stop, not a fault to warn about.
    private volatile bool _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = config.AdminSocket;
        try
        {
            PrepareDirectory(Path.GetDirectoryName(path)!);
            if (File.Exists(path)) File.Delete(path); // a stale socket from an earlier run
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            _listener.Listen(16);
            logger.LogInformation("Admin socket listening on {Path}", path);
        }
        catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
        {
            logger.LogError("Cannot bind the admin socket {Path}: {Error}; continuing without it", path, e.Message);
            return;
        }
        var hostActor = await host.GetAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(stoppingToken).ConfigureAwait(false); }
            catch (Exception e) when ((_stopping || stoppingToken.IsCancellationRequested) && e is OperationCanceledException or ObjectDisposedException or SocketException) { break; }
            catch (SocketException e) { logger.LogWarning("Admin socket accept failed: {Error}", e.Message); continue; }
            _ = Task.Run(() => ServeAsync(client, hostActor, path, stoppingToken), CancellationToken.None);
        }
    }

    /// <summary>
    /// Directories the garden creates for the socket are 0750: the garden's umask (077) would make them 0700, and then
    /// members of the socket's group could not reach the 0660 socket inside. They get the garden's group, as the socket
    /// does. An existing directory is the operator's (or systemd's RuntimeDirectory=): left alone, but a mode that
    /// locks the group out is logged.
    /// </summary>
    private void PrepareDirectory(string directory)
    {
        var missing = new List<string>();
        for (var d = directory; !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = Path.GetDirectoryName(d))
        {
            missing.Add(d);
        }
        Directory.CreateDirectory(directory);
        const UnixFileMode Shared = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        foreach (var d in missing) File.SetUnixFileMode(d, Shared);
        if (missing.Count == 0 && (File.GetUnixFileMode(directory) & UnixFileMode.GroupExecute) == 0)
        {
            logger.LogWarning("Admin socket directory {Directory} does not let its group in (no g+x): only root and the owner can reach the socket", directory);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _listener?.Dispose();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try { if (File.Exists(config.AdminSocket)) File.Delete(config.AdminSocket); } catch (IOException) { }
    }

    private async Task ServeAsync(Socket client, IActorRef hostActor, string path, CancellationToken stoppingToken)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        try
        {
            var peer = GardenPeerCredentials.Of(client);
            var owner = FileOwner.Of(path);
            if (peer is null || owner is null || !peer.IsAllowed(owner.Value.Uid, owner.Value.Gid))
            {
                logger.LogWarning("Admin socket: refused peer uid={Uid} gid={Gid}", peer?.Uid, peer?.Gid);
                await WriteAsync(stream, AdminProtocol.Error("", AdminProtocol.Unauthorized) + AdminProtocol.Complete("", 1), stoppingToken).ConfigureAwait(false);
                return;
            }
            using var receive = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            receive.CancelAfter(config.Timeouts.AdminReceive);
            var line = await ReadLineAsync(stream, receive.Token).ConfigureAwait(false);
            if (line is null) return; // too long, closed early or too slow: no reply
            if (!AdminProtocol.TryParse(line, out var request, out var id, out var error))
            {
                await WriteAsync(stream, AdminProtocol.Error(id, error!) + AdminProtocol.Complete(id, 1), stoppingToken).ConfigureAwait(false);
                return;
            }
            var reply = await HandleAsync(request!, hostActor).ConfigureAwait(false);
            await WriteAsync(stream, reply, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug("Admin socket connection ended: {Error}", e.Message);
        }
    }

    private async Task<string> HandleAsync(AdminRequest request, IActorRef hostActor)
    {
        switch (request)
        {
            case AdminRequest.Reload r:
                hostActor.Tell(new GardenDaemonCommands.RequestReload("admin socket"));
                return AdminProtocol.Ok(r.Id, AdminProtocol.ReloadRequested) + AdminProtocol.Complete(r.Id, 0);
            case AdminRequest.Status s:
                var status = await hostActor.Ask<GardenStatus>(new GardenDaemonCommands.GetStatus(), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                return AdminProtocol.Status(s.Id, StatusJson(status)) + AdminProtocol.Complete(s.Id, 0);
            case AdminRequest.Deploy d:
                GardenDaemonCommands.AdminReply reply;
                try
                {
                    reply = await hostActor.Ask<GardenDaemonCommands.AdminReply>(new GardenDaemonCommands.AdminDeploy(d.SeedType, d.Sid, d.Force),
                        config.Timeouts.ServerReply + TimeSpan.FromSeconds(20)).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    reply = new GardenDaemonCommands.AdminReply(false, "timed out waiting for the server's acceptance");
                }
                return reply.Ok
                    ? AdminProtocol.Ok(d.Id, reply.Text) + AdminProtocol.Complete(d.Id, 0)
                    : AdminProtocol.Error(d.Id, reply.Text) + AdminProtocol.Complete(d.Id, 1);
            default:
                return AdminProtocol.Error(request.Id, "invalid request: unknown kind") + AdminProtocol.Complete(request.Id, 1);
        }
    }

    public static JsonObject StatusJson(GardenStatus status) => new()
    {
        ["version"] = status.Version,
        ["active_deployments"] = new JsonArray(status.ActiveDeployments.Select(a => (JsonNode?)a).ToArray()),
        ["connected"] = status.Connected,
        ["garden_sid"] = status.GardenSid,
        ["status"] = status.StatusLine,
        ["subscriptions"] = new JsonArray(status.Subscriptions.Select(s => (JsonNode?)new JsonObject
        {
            ["name"] = s.Name,
            ["sid"] = s.Sid,
            ["seed_name"] = s.SeedName,
            ["seed_type"] = s.SeedType,
            ["schedule"] = s.Schedule,
            ["timezone"] = s.Timezone,
            ["next_fire"] = s.NextFire,
            ["next_window_change"] = s.NextWindowChange,
            ["current_seed"] = s.CurrentSeed,
            ["pending_seed"] = s.PendingSeed,
        }).ToArray()),
    };

    /// <summary>Reads one line of at most 64 KiB; null when the line is longer, the peer closes first, or time runs out.</summary>
    private static async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken token)
    {
        var buffer = new byte[4096];
        using var line = new MemoryStream();
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, token).ConfigureAwait(false);
                if (n == 0) return null;
                var newline = Array.IndexOf(buffer, (byte)'\n', 0, n);
                var take = newline >= 0 ? newline : n;
                if (line.Length + take > AdminProtocol.MaxLineBytes) return null;
                line.Write(buffer, 0, take);
                if (newline >= 0) return Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r');
            }
        }
        catch (OperationCanceledException) { return null; }
    }

    private static async Task WriteAsync(NetworkStream stream, string text, CancellationToken token) =>
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), token).ConfigureAwait(false);
}
