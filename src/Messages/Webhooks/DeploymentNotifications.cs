using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using static Sower.Messages.Deployments.DeploymentEvents;

namespace Sower.Messages.Webhooks;

/// <summary>Which persisted deployment events someone should be told about, as notifications keyed by deployment.</summary>
public static class DeploymentNotifications
{
    /// <param name="after">The deployment with <paramref name="e"/> applied.</param>
    public static Notification? For(IDeploymentEvent e, DeploymentRecord after) => e switch
    {
        DeploymentCreated { Deployment.State: DeploymentState.AwaitingApproval } c => Make(NotificationKinds.DeploymentAwaitingApproval, after, c.Deployment.CreatedAt,
            "is awaiting approval"),
        DeploymentCompleted { Result: DeploymentResult.Failure or DeploymentResult.Partial } c => Make(NotificationKinds.DeploymentFailed, after, c.At,
            c.Result == DeploymentResult.Partial ? "partly failed" : "failed"),
        DeploymentCompleted { Result: DeploymentResult.RolledBack } c => Make(NotificationKinds.DeploymentRolledBack, after, c.At,
            "was rolled back by the host's activator (no confirmation in time)"),
        DeploymentMarkedStale s => Make(NotificationKinds.DeploymentFailed, after, s.At, "went stale (no result from the garden)"),
        _ => null,
    };

    private static Notification Make(string kind, DeploymentRecord d, NodaTime.Instant at, string what)
    {
        var seeds = string.Join(", ", d.Seeds.Select(s => s.Seed.Name).Distinct(StringComparer.Ordinal));
        return Notification.Of($"{kind}:{d.Sid.Value}", kind, at,
            $"deployment {d.Sid.Value} of {seeds} on garden {d.Garden.Value} {what}",
            ("deployment", d.Sid.Value), ("garden", d.Garden.Value), ("seeds", seeds),
            ("state", d.State.ToWire()), ("result", d.Result?.ToWire() ?? ""), ("trigger", d.Trigger.ToWire()),
            ("requested_by", Describe(d.Events.IsDefaultOrEmpty ? null : d.Events[0].Actor)));
    }

    /// <summary>Who asked for the deployment, as people read it: "Alice Admin (sub-alice)", "ci token (tok_…)", or the sid.</summary>
    public static string Describe(Actor? actor) => actor switch
    {
        null => "",
        { Description: { Length: > 0 } description } => $"{description} ({actor.Sid})",
        _ => actor.Sid,
    };
}
