using System.Collections.Immutable;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// Where a deployment is with the activator's rollback deadline (REFERENCE §5.16): the status request a restarted garden sends
/// about an interrupted activation, the confirmation request, the activator's replies to the one in flight, how many
/// confirmations could not be asked, and whether the deployment is settled. Not journaled (the journal has
/// <see cref="GardenJournalEvents.ConfirmationAwaited"/>); pure, decided by <see cref="RollbackConfirmation"/>.
/// </summary>
public sealed record RollbackConfirmationRun(
    string? StatusRequest,
    string? ConfirmRequest,
    ImmutableList<string> Replies,
    bool StatusChecked,
    bool ArmedAtRecovery,
    bool Settled,
    bool RebootRequestedHere,
    int FailedAttempts)
{
    public static readonly RollbackConfirmationRun Empty = new(null, null, ImmutableList<string>.Empty, false, false, false, false, 0);

    public RollbackConfirmationRun AskStatus(string requestId) => this with { StatusRequest = requestId, Replies = Replies.Clear() };

    public RollbackConfirmationRun AskConfirmation(string requestId) => this with { ConfirmRequest = requestId, Replies = Replies.Clear() };

    /// <summary>This deployment asked for the reboot whose boot the deadline waits for.</summary>
    public RollbackConfirmationRun RebootAsked() => this with { RebootRequestedHere = true };

    public RollbackConfirmationRun Settle() => this with { Settled = true };

    /// <summary>A line the activator sent for <paramref name="requestId"/>; kept only when it answers the request in flight.</summary>
    public RollbackConfirmationRun Heard(string requestId, bool isError, string data) =>
        requestId == StatusRequest || requestId == ConfirmRequest
            ? this with { Replies = Replies.Add(isError ? RollbackConfirmation.ErrorPrefix + data : data) }
            : this;

    /// <summary>The status request ended: the reason the deadline fired (null: it did not); otherwise whether one is still armed.</summary>
    public (RollbackConfirmationRun Run, string? FiredReason) StatusAnswered()
    {
        var (fired, armed) = RollbackConfirmation.ReadStatus(Replies);
        var run = this with { StatusRequest = null, StatusChecked = true };
        return fired is null ? (run with { ArmedAtRecovery = armed }, null) : (run, fired);
    }

    /// <summary>The confirmation request ended (<paramref name="exitCode"/> null: the activator could not be asked, which counts
    /// as a failed attempt): what it means.</summary>
    public (RollbackConfirmationRun Run, RollbackConfirmation.Outcome Outcome) ConfirmationAnswered(int? exitCode, string? error)
    {
        var attempts = exitCode is null ? FailedAttempts + 1 : FailedAttempts;
        var outcome = RollbackConfirmation.Decide(exitCode, error, Replies, RebootRequestedHere, attempts);
        return (this with { ConfirmRequest = null, FailedAttempts = attempts }, outcome);
    }
}
