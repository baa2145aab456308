namespace Sower.Messages.GardenDaemon;

/// <summary>What the profiles say about an activation the garden lost track of (it restarted while the activator worked).</summary>
public enum ReconcileVerdict
{
    /// <summary>The profile (and, for switch, the running system) shows the seed's artifact: the activation took effect.</summary>
    Applied,

    /// <summary>Not (yet) visible: the activator may still be working, so the garden looks again until its wait runs out.</summary>
    NotApplied,

    /// <summary>Nothing the garden can read tells the outcome (e.g. a services bundle); waiting would not help.</summary>
    Unknown,
}

public sealed record ReconcileOutcome(ReconcileVerdict Verdict, string Text);

/// <summary>
/// The result of an activation the garden lost track of (it restarted while the activator worked), from what its profile
/// says (REFERENCE §5.10, §7.6): never run again; applied → success; not (yet) visible → look again every interval until the
/// wait runs out, then failure; unreadable → failure at once. Pure: the actor reads the profile and keeps the timer.
/// </summary>
public static class InterruptedActivation
{
    /// <summary>Look again (<c>LookAgain</c>), or the seed's result and the log line that explains it.</summary>
    public sealed record Judgement(bool LookAgain, string? Result, string? Text);

    /// <param name="label">The seed as the log names it: <c>name (type)</c>.</param>
    /// <param name="looked">How many times the profile was looked at again already.</param>
    /// <param name="wait">How long the garden waits for the activator to finish without it.</param>
    public static Judgement Judge(ReconcileOutcome outcome, string label, int looked, TimeSpan wait, TimeSpan interval) =>
        outcome.Verdict switch
        {
            ReconcileVerdict.Applied => new(false, "success",
                $"activation of {label} was interrupted by a garden restart; reconciled from the profile: {outcome.Text}"),
            ReconcileVerdict.NotApplied when looked < Looks(wait, interval) => new(true, null, null),
            ReconcileVerdict.NotApplied => new(false, "failure",
                $"activation of {label} was interrupted by a garden restart and did not take effect within {wait.TotalSeconds:0}s: {outcome.Text}; it is not repeated"),
            _ => new(false, "failure",
                $"activation of {label} was interrupted by a garden restart; {outcome.Text}, so it is recorded as failed and not repeated"),
        };

    /// <summary>How many looks fit in the wait (at least one).</summary>
    public static int Looks(TimeSpan wait, TimeSpan interval) => Math.Max(1, (int)Math.Ceiling(wait / interval));
}
