namespace Sower.Activator;

/// <summary>
/// One program to run for a request. <see cref="Environment"/> null means the activator's own environment (minus
/// socket-activation variables); otherwise exactly these variables. <see cref="RunAs"/> drops to that account first.
/// </summary>
public sealed record CommandSpec(string Program, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    public UserAccount? RunAs { get; init; }

    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(ActivatorLog.Quote));
}

/// <summary>How a command ended: its exit code (128+signal when killed), or that the request's time ran out.</summary>
public sealed record CommandResult(int ExitCode, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}

/// <summary>Runs commands for actions; the seam where tests observe (and forbid) execution.</summary>
public interface ICommandRunner
{
    /// <summary>
    /// Runs <paramref name="spec"/> in its own session and process group, feeding each stdout/stderr line to the callbacks.
    /// When <paramref name="timeout"/> fires the whole process group is killed and the result says TimedOut.
    /// </summary>
    Task<CommandResult> RunAsync(CommandSpec spec, Action<string> stdout, Action<string> stderr, CancellationToken timeout);
}
