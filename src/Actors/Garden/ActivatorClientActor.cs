using System.ComponentModel;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Sower.Messages.Activator;

namespace Sower.Actors.Garden;

public static class ActivatorCommands
{
    /// <summary>
    /// Run one activator request; frames go to <paramref name="ReplyTo"/> as <see cref="Output"/>, then one <see cref="Finished"/>.
    /// <paramref name="ForUser"/> names the account the work is for when the request itself cannot say it (the stage of a
    /// Home-Manager seed); it only chooses the transport (§5.14).
    /// </summary>
    public sealed record Run(ActivatorRequest Request, IActorRef ReplyTo, TimeSpan Timeout, string? ForUser = null);

    public sealed record Output(string RequestId, ActivatorFrame Frame);

    /// <summary>The end of a request: the activator's exit code, or an error saying why there is none.</summary>
    public sealed record Finished(string RequestId, int? ExitCode, string? Error);
}

/// <summary>
/// Talks to <c>sower-activator</c> (REFERENCE §5.14): one request per connection over the Unix socket <c>activator_socket</c>,
/// or pipe mode spawning the activator for a user garden acting for itself, or <c>sudo -n sower-activator</c> as the fallback.
/// Every request ends with exactly one <see cref="ActivatorCommands.Finished"/>, whatever goes wrong.
/// </summary>
public sealed class ActivatorClientActor : ReceiveActor
{
    public const string MissingExecutable = "FATAL: missing activator executable sower-activator; deployment cannot continue";
    private readonly ActivatorRouting _routing;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _lifetime = new();

    public ActivatorClientActor(ActivatorRouting routing)
    {
        _routing = routing;
        Receive<ActivatorCommands.Run>(OnRun);
    }

    public static Props Props(ActivatorRouting routing) => Akka.Actor.Props.Create(() => new ActivatorClientActor(routing));

    protected override void PostStop()
    {
        _lifetime.Cancel();
        base.PostStop();
    }

    private void OnRun(ActivatorCommands.Run run)
    {
        var transport = _routing.Choose(run.Request, run.ForUser);
        _log.Info("Activator request id={RequestId} type={RequestType} via {Transport}", run.Request.Id, run.Request.Type, transport.Describe);
        var id = run.Request.Id;
        var replyTo = run.ReplyTo;
        var token = _lifetime.Token;
        _ = Task.Run(async () =>
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
            cts.CancelAfter(run.Timeout);
            try
            {
                var exit = await transport.RunAsync(run.Request, f => replyTo.Tell(new ActivatorCommands.Output(id, f)), cts.Token).ConfigureAwait(false);
                replyTo.Tell(exit is null
                    ? new ActivatorCommands.Finished(id, null, "the activator closed the connection without a complete frame")
                    : new ActivatorCommands.Finished(id, exit, null));
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                replyTo.Tell(new ActivatorCommands.Finished(id, null, $"timed out after {(int)run.Timeout.TotalSeconds}s waiting for the activator"));
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // The garden is stopping: report nothing. The deployment's journal knows the activation started and reads its
                // outcome back from the profile at the next start; the activator itself finishes the work (REFERENCE §7.6).
            }
            catch (ActivatorMissingException)
            {
                replyTo.Tell(new ActivatorCommands.Finished(id, null, MissingExecutable));
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or Win32Exception or OperationCanceledException)
            {
                replyTo.Tell(new ActivatorCommands.Finished(id, null, $"activator transport error: {e.Message}"));
            }
        }, CancellationToken.None);
    }
}

/// <summary>
/// Which transport serves a request (REFERENCE §5.14), decided by what the request is for, never by the garden's account
/// name: a user garden's work for its own user (its Home-Manager activation, or the stage of such a seed) needs no
/// privileges and runs the activator in pipe mode; everything else goes to <c>activator_socket</c> when it exists, else to
/// the activator in pipe mode as root (a root garden, the system garden) or through <c>sudo -n</c> (any other garden).
/// </summary>
public sealed class ActivatorRouting(string socketPath, string activatorCommand, string gardenUser, bool isRoot, TimeSpan connectTimeout)
{
    public IActivatorTransport Choose(ActivatorRequest request, string? forUser = null)
    {
        if (!isRoot && ForGardenUser(request, forUser)) return new PipeActivatorTransport(activatorCommand, []);
        if (File.Exists(socketPath)) return new UnixSocketActivatorTransport(socketPath, connectTimeout);
        return isRoot ? new PipeActivatorTransport(activatorCommand, []) : new PipeActivatorTransport("sudo", ["-n", activatorCommand]);
    }

    /// <summary>Whether the request only touches the garden's own user: its own Home-Manager generation, or staging one.</summary>
    public bool ForGardenUser(ActivatorRequest request, string? forUser = null) => request.Type switch
    {
        ActivatorRequestTypes.HomeManager => request.User == gardenUser,
        ActivatorRequestTypes.Stage => forUser is not null && forUser == gardenUser,
        _ => false,
    };
}

public interface IActivatorTransport
{
    string Describe { get; }

    /// <summary>Sends the request and streams frames; returns the exit code of the complete frame, or null if none came.</summary>
    Task<int?> RunAsync(ActivatorRequest request, Action<ActivatorFrame> onFrame, CancellationToken cancellationToken);
}

public sealed class ActivatorMissingException(string message) : Exception(message);

public sealed class UnixSocketActivatorTransport(string path, TimeSpan connectTimeout) : IActivatorTransport
{
    public string Describe => $"socket {path}";

    public async Task<int?> RunAsync(ActivatorRequest request, Action<ActivatorFrame> onFrame, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(connectTimeout);
            try { await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), connect.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"could not connect to {path} within {connectTimeout.TotalSeconds:0}s");
            }
        }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(ActivatorProtocol.SerializeRequestLine(request), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await FrameReader.ReadAsync(reader, onFrame, cancellationToken).ConfigureAwait(false);
    }
}

public sealed class PipeActivatorTransport(string fileName, string[] arguments) : IActivatorTransport
{
    public string Describe => $"pipe {fileName} {string.Join(' ', arguments)}".TrimEnd();

    public async Task<int?> RunAsync(ActivatorRequest request, Action<ActivatorFrame> onFrame, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start) ?? throw new ActivatorMissingException(fileName); }
        catch (Win32Exception) { throw new ActivatorMissingException(fileName); }
        using (process)
        {
            await process.StandardInput.WriteAsync((ActivatorProtocol.SerializeRequest(request) + "\n").AsMemory(), cancellationToken).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
            var exit = await FrameReader.ReadAsync(process.StandardOutput, onFrame, cancellationToken).ConfigureAwait(false);
            if (exit is null)
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                // sudo exits 1 with no output when it may not run the activator; a shell-style 127 means it was not found.
                if (process.ExitCode == 127) throw new ActivatorMissingException(fileName);
            }
            return exit;
        }
    }
}

internal static class FrameReader
{
    public static async Task<int?> ReadAsync(TextReader reader, Action<ActivatorFrame> onFrame, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null) return null;
            if (line.Length == 0) continue;
            var frame = ActivatorProtocol.ParseFrame(line, out _) ?? ActivatorFrame.Output("", line);
            if (frame.IsComplete) return frame.ExitCode ?? 1;
            onFrame(frame);
        }
    }
}
