using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>Everything an action needs for one validated request, plus the helper that runs and streams a command.</summary>
public sealed class ActionContext
{
    public required ActivatorRequest Request { get; init; }
    public required ActivatorSettings Settings { get; init; }
    public required ICommandRunner Runner { get; init; }
    public required ActivatorLog Log { get; init; }
    public required FrameWriter Frames { get; init; }
    public required IAccounts Accounts { get; init; }
    public required ActivatorProcessIdentity Self { get; init; }

    /// <summary>The socket peer (null in pipe mode): who armed or confirms a rollback deadline.</summary>
    public ActivatorPeerCredentials? Peer { get; init; }

    /// <summary>The account a rollback deadline is recorded for: the socket peer, else this process (pipe mode).</summary>
    public uint CallerUid => Peer?.Uid ?? Self.EffectiveUid;

    /// <summary>True in pipe mode (stdin is not a socket): the caller's privileges, no peer check.</summary>
    public required bool PipeMode { get; init; }

    /// <summary>Fires when the request's time limit (--timeout) runs out.</summary>
    public required CancellationToken Deadline { get; init; }

    /// <summary>Runs a command under the request deadline; throws <see cref="RequestTimedOutException"/> when it ran out.</summary>
    public async Task<CommandResult> RunAsync(CommandSpec spec)
    {
        var result = await RunAsync(spec, Deadline).ConfigureAwait(false);
        if (result.TimedOut) throw new RequestTimedOutException();
        return result;
    }

    /// <summary>Runs a command under an explicit token (e.g. a rollback that must happen even after the deadline).</summary>
    public Task<CommandResult> RunAsync(CommandSpec spec, CancellationToken token)
    {
        Log.Info("Running", ("command", spec.ToString()));
        return Runner.RunAsync(
            spec,
            line =>
            {
                Frames.Output(Log.Timestamp() + " " + line);
                if (Frames.ClientGone) Log.ChildStderr(line); // the client left: keep the output in the journal
            },
            line =>
            {
                Frames.Error(Log.Timestamp() + " " + line);
                Log.ChildStderr(line);
            },
            token);
    }

    /// <summary>Nix options for realisation: only the operator's own substituters and keys, never the request's.</summary>
    public IEnumerable<string> NixTrustOptions()
    {
        if (Settings.Config.ExtraSubstituters.Count > 0)
        {
            yield return "--option";
            yield return "extra-substituters";
            yield return string.Join(' ', Settings.Config.ExtraSubstituters);
        }
        if (Settings.Config.ExtraTrustedPublicKeys.Count > 0)
        {
            yield return "--option";
            yield return "extra-trusted-public-keys";
            yield return string.Join(' ', Settings.Config.ExtraTrustedPublicKeys);
        }
    }
}

/// <summary>The request's time limit ran out; the child's process group has been killed.</summary>
public sealed class RequestTimedOutException : Exception
{
    public RequestTimedOutException() : base("request timed out")
    {
    }
}

/// <summary>One request type: host-side checks (no side effects), then the work itself.</summary>
public interface IActivatorAction
{
    /// <summary>Checks that need the machine (accounts, files); returns the exact error text or null.</summary>
    string? Check(ActionContext context);

    /// <summary>Does the work and returns the exit code for the complete frame.</summary>
    Task<int> ExecuteAsync(ActionContext context);
}
