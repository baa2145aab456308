using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using Sower.Messages.Webhooks;
using static Sower.Messages.Deployments.DeploymentEvents;

namespace Sower.Messages.Tests.Webhooks;

/// <summary>Which deployment events become notifications, keyed so the outbox sends each once.</summary>
public sealed class DeploymentNotificationTests
{
    private static readonly Instant At = Instant.FromUtc(2026, 12, 5, 12, 0);
    private static readonly DeploymentId Sid = new("dply_abcdefghijklmnopqrstuvwx");

    private static DeploymentRecord Deployment(DeploymentState state, DeploymentResult? result = null)
    {
        var seed = new SeedInfo(new SeedId("seed_abcdefghijklmnopqrstuvwx"), "web01", SeedType.NixOS, "/nix/store/x-web01", [], At, At, false, "ci");
        return new DeploymentRecord(Sid, new GardenId("grdn_abcdefghijklmnopqrstuvwx"), state, result, Trigger.Realtime, AuditReason.RealtimeTriggered, false,
            "hash", new RequestId("req"), At, At, null, null, 0, [],
            [new SeedDeployment(new SubscriptionId("sub_abcdefghijklmnopqrstuvwx"), "system", seed, PolicyAction.Activate, null, SeedDeploymentState.Pending, null, "")],
            [new DeploymentAuditEvent("created", "manual", new Actor(ActorKind.Person, "sub-alice", "Alice Admin"), At, null)]);
    }

    [Fact]
    public void A_rolled_back_deployment_is_its_own_notification_naming_who_asked_for_it()
    {
        var n = DeploymentNotifications.For(new DeploymentCompleted(Sid, DeploymentResult.RolledBack, At, false, new GardenId("g"), At),
            Deployment(DeploymentState.Completed, DeploymentResult.RolledBack))!;
        Assert.Equal(NotificationKinds.DeploymentRolledBack, n.Kind);
        Assert.Equal("deployment.rolled_back:" + Sid.Value, n.Key);
        Assert.Equal("rolled_back", n.Subject["result"]);
        Assert.Equal("Alice Admin (sub-alice)", n.Subject["requested_by"]);
    }

    [Fact]
    public void A_failure_a_partial_result_and_staleness_are_deployment_failed_under_one_key()
    {
        var failed = DeploymentNotifications.For(new DeploymentCompleted(Sid, DeploymentResult.Failure, At, false, new GardenId("g"), At),
            Deployment(DeploymentState.Completed, DeploymentResult.Failure))!;
        var partial = DeploymentNotifications.For(new DeploymentCompleted(Sid, DeploymentResult.Partial, At, false, new GardenId("g"), At),
            Deployment(DeploymentState.Completed, DeploymentResult.Partial))!;
        var stale = DeploymentNotifications.For(new DeploymentMarkedStale(Sid, At), Deployment(DeploymentState.Stale, DeploymentResult.Failure))!;

        Assert.All(new[] { failed, partial, stale }, n =>
        {
            Assert.Equal(NotificationKinds.DeploymentFailed, n.Kind);
            Assert.Equal("deployment.failed:" + Sid.Value, n.Key);
            Assert.Equal("grdn_abcdefghijklmnopqrstuvwx", n.Subject["garden"]);
            Assert.Equal("web01", n.Subject["seeds"]);
        });
        Assert.Equal("deployment dply_abcdefghijklmnopqrstuvwx of web01 on garden grdn_abcdefghijklmnopqrstuvwx failed", failed.Summary);
        Assert.EndsWith("partly failed", partial.Summary);
        Assert.EndsWith("went stale (no result from the garden)", stale.Summary);
    }

    [Fact]
    public void Creation_awaiting_approval_notifies_and_success_or_dispatch_does_not()
    {
        var awaiting = Deployment(DeploymentState.AwaitingApproval);
        var n = DeploymentNotifications.For(new DeploymentCreated(Sid, awaiting), awaiting)!;
        Assert.Equal(NotificationKinds.DeploymentAwaitingApproval, n.Kind);
        Assert.Equal("deployment.awaiting_approval:" + Sid.Value, n.Key);

        var dispatched = Deployment(DeploymentState.Dispatched);
        Assert.Null(DeploymentNotifications.For(new DeploymentCreated(Sid, dispatched), dispatched));
        Assert.Null(DeploymentNotifications.For(new DeploymentCompleted(Sid, DeploymentResult.Success, At, false, new GardenId("g"), At),
            Deployment(DeploymentState.Completed, DeploymentResult.Success)));
        Assert.Null(DeploymentNotifications.For(new DeploymentAcknowledged(Sid, At), dispatched));
    }
}
