namespace Sower.Messages.Domain;

/// <summary>What started a deployment attempt (REFERENCE §1.5).</summary>
public enum Trigger
{
    Manual,
    Scheduled,
    Realtime,
    PollOnConnect,

    /// <summary>A seed the subscription runs was recalled (issue 16.2): the newest non-recalled seed replaces it.</summary>
    Recall,
}

public static class Triggers
{
    public static readonly IReadOnlyList<Trigger> All = [Trigger.Manual, Trigger.Scheduled, Trigger.Realtime, Trigger.PollOnConnect, Trigger.Recall];

    public static string ToWire(this Trigger trigger) => trigger switch
    {
        Trigger.Manual => "manual",
        Trigger.Scheduled => "scheduled",
        Trigger.Realtime => "realtime",
        Trigger.PollOnConnect => "poll_on_connect",
        Trigger.Recall => "recall",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null),
    };

    public static bool TryParse(string? wire, out Trigger trigger)
    {
        switch (wire)
        {
            case "manual": trigger = Trigger.Manual; return true;
            case "scheduled": trigger = Trigger.Scheduled; return true;
            case "realtime": trigger = Trigger.Realtime; return true;
            case "poll_on_connect": trigger = Trigger.PollOnConnect; return true;
            case "recall": trigger = Trigger.Recall; return true;
            default: trigger = default; return false;
        }
    }
}
