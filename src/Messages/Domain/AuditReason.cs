namespace Sower.Messages.Domain;

/// <summary>Why a deployment was created; every creation reason maps to exactly one trigger (REFERENCE §1.5).</summary>
public enum AuditReason
{
    UserTriggered,
    UserRetry,
    AdminTriggered,
    ScheduleTriggered,
    RealtimeTriggered,
    PollOnConnect,
    RecallTriggered,
}

public static class AuditReasons
{
    public static string ToWire(this AuditReason reason) => reason switch
    {
        AuditReason.UserTriggered => "user_triggered",
        AuditReason.UserRetry => "user_retry",
        AuditReason.AdminTriggered => "admin_triggered",
        AuditReason.ScheduleTriggered => "schedule_triggered",
        AuditReason.RealtimeTriggered => "realtime_triggered",
        AuditReason.PollOnConnect => "poll_on_connect",
        AuditReason.RecallTriggered => "recall_triggered",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    public static bool TryParse(string? wire, out AuditReason reason)
    {
        foreach (var candidate in Enum.GetValues<AuditReason>())
        {
            if (candidate.ToWire() == wire) { reason = candidate; return true; }
        }
        reason = default;
        return false;
    }

    /// <summary>TriggerForReason of REFERENCE §4.5.</summary>
    public static Trigger ToTrigger(this AuditReason reason) => reason switch
    {
        AuditReason.UserTriggered or AuditReason.UserRetry or AuditReason.AdminTriggered => Trigger.Manual,
        AuditReason.ScheduleTriggered => Trigger.Scheduled,
        AuditReason.RealtimeTriggered => Trigger.Realtime,
        AuditReason.PollOnConnect => Trigger.PollOnConnect,
        AuditReason.RecallTriggered => Trigger.Recall,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    /// <summary>The reason recorded for a garden-initiated request with this trigger; a garden can never claim realtime.</summary>
    public static AuditReason? ForGardenRequest(Trigger trigger) => trigger switch
    {
        Trigger.Manual => AuditReason.AdminTriggered,
        Trigger.Scheduled => AuditReason.ScheduleTriggered,
        Trigger.PollOnConnect => AuditReason.PollOnConnect,
        _ => null,
    };
}
