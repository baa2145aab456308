using Sower.Messages.Deployments;
using Sower.Messages.Domain;

namespace Sower.Server.Ui.Services;

/// <summary>Words and colours for states, results, triggers and audit events.</summary>
public static class Labels
{
    /// <summary>The trigger column of REFERENCE §6.16: user / local / schedule / realtime / connect / retry.</summary>
    public static string Trigger(AuditReason reason) => reason switch
    {
        AuditReason.UserTriggered => "user",
        AuditReason.AdminTriggered => "local",
        AuditReason.ScheduleTriggered => "schedule",
        AuditReason.RealtimeTriggered => "realtime",
        AuditReason.PollOnConnect => "connect",
        AuditReason.UserRetry => "retry",
        AuditReason.RecallTriggered => "recall",
        _ => "—",
    };

    /// <summary>One status word: the result once there is one, else the state.</summary>
    public static string Status(DeploymentRecord d) => d.Result is { } r && d.State == DeploymentState.Completed ? r.ToWire() : d.State.ToWire();

    /// <summary>CSS tone of a status word.</summary>
    public static string Tone(string status) => status switch
    {
        "success" or "completed" => "ok",
        "failure" or "stale" or "rolled_back" => "bad",
        "partial" or "warning" or "awaiting_approval" => "warn",
        "dispatched" or "acknowledged" or "downloading" or "activating" => "busy",
        "canceled" or "skipped" or "pending" => "muted",
        _ => "muted",
    };

    public static string Humanize(string wire) => wire.Replace('_', ' ');

    /// <summary>One line per audit event; an event type this console does not know is still shown, never a failure.</summary>
    public static string Describe(DeploymentAuditEvent e) => e.Type switch
    {
        "created" => $"Created ({Humanize(e.Reason ?? "unknown reason")})",
        "approval_requested" => "Approval requested" + (e.Detail is { } d ? $": {d}" : ""),
        "approved" => "Approved",
        "canceled" => "Canceled: " + Humanize(e.Reason ?? "no reason given"),
        "acknowledged" => "The garden acknowledged it",
        "completed" => "Completed: " + (e.Reason ?? "no result"),
        "late_result" => "Late result: " + (e.Reason ?? "no result") + (e.Detail is { } late ? $" ({late})" : ""),
        "redispatched" => "Dispatched again after the garden reconnected",
        _ => Humanize(e.Type) + (e.Reason is { } reason ? $" ({Humanize(reason)})" : "") + (e.Detail is { } detail ? $": {detail}" : ""),
    };

    public static string Decision(PolicyDecision decision) => decision.Kind switch
    {
        DecisionKind.Allow => $"allowed: {decision.Action?.ToWire()}",
        DecisionKind.Confirm => $"needs approval: {decision.Action?.ToWire()}",
        _ => "denied",
    };

    public static string DecisionTone(DecisionKind kind) => kind switch
    {
        DecisionKind.Allow => "ok",
        DecisionKind.Confirm => "warn",
        _ => "bad",
    };
}
