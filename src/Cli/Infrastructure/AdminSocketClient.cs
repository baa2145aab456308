using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Cli.Commands;
using Sower.Messages.GardenDaemon;

namespace Sower.Cli.Infrastructure;

/// <summary>One reply of the garden's admin socket.</summary>
public sealed record AdminReply(string Kind, JsonObject Line);

/// <summary>
/// The garden's admin socket (REFERENCE §5.15) from the client side: one request line per connection with id = this
/// process's pid, replies until <c>complete</c> (whose exit code is the command's), a 30 s limit and a 64 KiB line cap.
/// </summary>
public static class AdminSocketClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<(IReadOnlyList<AdminReply> Replies, int ExitCode)> Send(string socketPath, string kind, JsonObject? payload, CancellationToken cancellation)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(Timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), limit.Token);
        }
        catch (SocketException e)
        {
            var reason = e.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused when !File.Exists(socketPath) => "no such socket",
                SocketError.ConnectionRefused => "connection refused (is sower-garden running?)",
                SocketError.AccessDenied => "permission denied",
                _ => e.Message.TrimEnd('.'),
            };
            if (!File.Exists(socketPath)) reason = "no such socket (is sower-garden running?)";
            throw new CliFailure(ExitCodes.Unreachable, $"cannot connect to the garden's admin socket {socketPath}: {reason}");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new CliFailure(ExitCodes.Unreachable, $"the garden's admin socket {socketPath} did not accept the connection within {Timeout.TotalSeconds:0} s");
        }

        var id = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new JsonObject { ["v"] = 1, ["id"] = id, ["kind"] = kind };
        if (payload is not null) request["payload"] = payload;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), limit.Token);

        var replies = new List<AdminReply>();
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(chunk, limit.Token);
                if (read == 0) break;
                for (var i = 0; i < read; i++)
                {
                    if (chunk[i] != (byte)'\n')
                    {
                        buffer.Add(chunk[i]);
                        if (buffer.Count > AdminProtocol.MaxLineBytes)
                        {
                            throw new CliFailure(ExitCodes.Failure, $"the garden sent a reply line longer than {AdminProtocol.MaxLineBytes} bytes");
                        }
                        continue;
                    }
                    var line = Encoding.UTF8.GetString([.. buffer]);
                    buffer.Clear();
                    if (line.Length == 0) continue;
                    JsonObject? o;
                    try { o = JsonNode.Parse(line) as JsonObject; }
                    catch (JsonException) { o = null; }
                    if (o is null) throw new CliFailure(ExitCodes.Failure, "the garden sent a reply that is not a JSON object");
                    var replyKind = Output.Str(o, "kind") ?? "";
                    if (replyKind == "complete")
                    {
                        var code = o["exit_code"] is JsonValue v && v.TryGetValue<int>(out var c) ? c : 1;
                        return (replies, code);
                    }
                    replies.Add(new AdminReply(replyKind, o));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new CliFailure(ExitCodes.Failure, $"the garden did not finish answering within {Timeout.TotalSeconds:0} s");
        }
        catch (IOException e)
        {
            throw new CliFailure(ExitCodes.Failure, $"the admin socket connection failed: {e.Message.TrimEnd('.')}");
        }
        throw new CliFailure(ExitCodes.Failure, "the garden closed the admin socket without a complete reply");
    }
}
