using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>How the request arrived: over a socket (with the peer's credentials) or a pipe.</summary>
public sealed record Connection(bool IsSocket, ActivatorPeerCredentials? Peer)
{
    public static readonly Connection Pipe = new(false, null);

    public static Connection Socket(ActivatorPeerCredentials? peer) => new(true, peer);
}

/// <summary>
/// The whole life of one request: read one line → authorize → parse and validate → execute → frames. It always ends
/// with exactly one <c>complete</c> frame (pitfall 46) and never throws: every refusal is an <c>error</c> frame with
/// the exact text followed by <c>complete</c> 1. Streams in, streams out, so tests drive it in-process.
/// </summary>
public sealed class RequestPipeline(ActivatorSettings settings, ICommandRunner runner, IAccounts accounts, ActivatorProcessIdentity self, TextWriter journal, TimeProvider time)
{
    private static readonly HashSet<string> RootOnlyTypes =
        [ActivatorRequestTypes.NixOS, ActivatorRequestTypes.Profile, ActivatorRequestTypes.Services, ActivatorRequestTypes.Reboot,
         ActivatorRequestTypes.Confirm, ActivatorRequestTypes.RollbackStatus];

    /// <summary>Handles one request and returns the exit code sent in the complete frame.</summary>
    public async Task<int> HandleAsync(Stream input, Stream output, Connection connection)
    {
        var frames = new FrameWriter(output);
        var log = new ActivatorLog(journal, time);
        int exitCode;
        try
        {
            exitCode = await HandleCoreAsync(input, frames, log, connection).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Last line of defence: no exception ever leaves without a complete frame.
            log.JournalOnly("Internal error", ("error", e.ToString()));
            frames.Error($"internal error: {e.Message}");
            exitCode = ActivatorExitCodes.Refused;
        }
        frames.Complete(exitCode);
        log.JournalOnly("Request finished", ("id", frames.Id), ("exit_code", exitCode), ("client_gone", frames.ClientGone));
        return exitCode;
    }

    private async Task<int> HandleCoreAsync(Stream input, FrameWriter frames, ActivatorLog log, Connection connection)
    {
        if (connection.IsSocket)
        {
            if (!self.IsRoot) return Refuse(frames, log, ActivatorMessages.MustBeRootInSocketMode);
            if (connection.Peer is not { } peer) return Refuse(frames, log, Authorization.NoPeerCredentials);
            if (!Authorization.IsAuthorized(peer, settings.AllowedGids))
            {
                // Drain what the peer sent (briefly) so it reads our reply instead of a reset, but never parse it.
                await RequestReader.ReadLineAsync(input, ActivatorProtocol.MaxRequestBytes, TimeSpan.FromMilliseconds(Math.Min(1000, settings.RequestReadTimeout.TotalMilliseconds))).ConfigureAwait(false);
                log.JournalOnly("Refused unauthorized peer", ("pid", peer.Pid), ("uid", peer.Uid), ("gid", peer.Gid), ("groups", string.Join(',', peer.Groups)));
                return Refuse(frames, log, Authorization.Unauthorized);
            }
        }

        var read = await RequestReader.ReadLineAsync(input, ActivatorProtocol.MaxRequestBytes, settings.RequestReadTimeout).ConfigureAwait(false);
        if (read.Error is { } readError) return Refuse(frames, log, readError);
        var parsed = ActivatorProtocol.ParseRequest(read.Line);
        if (parsed.Request is not { } request) return Refuse(frames, log, parsed.Error!);

        frames.Id = request.Id;
        log.TeeTo(frames);
        log.Info("Received request", ("id", request.Id), ("type", request.Type), ("path", request.Path), ("mode", request.Mode), ("reason", request.Reason));

        if (ActivatorRequestValidator.Validate(request) is { } invalid) return Refuse(frames, log, invalid);
        if (!connection.IsSocket && !self.IsRoot && RootOnlyTypes.Contains(request.Type)) return Refuse(frames, log, ActivatorMessages.RootRequired);

        using var deadline = new CancellationTokenSource(settings.Timeout);
        var context = new ActionContext
        {
            Request = request,
            Settings = settings,
            Runner = runner,
            Log = log,
            Frames = frames,
            Accounts = accounts,
            Self = self,
            PipeMode = !connection.IsSocket,
            Peer = connection.Peer,
            Deadline = deadline.Token,
        };
        var action = Actions.For(request.Type);
        if (action.Check(context) is { } rejected) return Refuse(frames, log, rejected);

        try
        {
            if (settings.Config.RequireSignatures.IsRequiredFor(request.Type) && await StoreSignatures.CheckAsync(context).ConfigureAwait(false) is { } unsigned)
            {
                return Refuse(frames, log, unsigned);
            }
            var code = await action.ExecuteAsync(context).ConfigureAwait(false);
            log.Info(code == 0 ? "Request succeeded" : "Request failed", ("id", request.Id), ("type", request.Type), ("exit_code", code));
            return code;
        }
        catch (RequestTimedOutException)
        {
            var message = ActivatorMessages.TimedOut(settings.Timeout);
            log.JournalOnly("Request timed out", ("id", request.Id), ("type", request.Type), ("limit", message));
            frames.Error(message);
            return ActivatorExitCodes.TimedOut;
        }
    }

    private static int Refuse(FrameWriter frames, ActivatorLog log, string message)
    {
        log.JournalOnly("Refused request", ("id", frames.Id), ("error", message));
        frames.Error(message);
        return ActivatorExitCodes.Refused;
    }
}
