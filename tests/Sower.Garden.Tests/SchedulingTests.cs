using Akka.Actor;
using NodaTime;
using Sower.Actors.Garden;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

public sealed class SchedulingTests(ITestOutputHelper output) : GardenTestKit(output)
{
    [Fact]
    public void The_scheduler_fires_at_the_cron_time_in_the_subscription_zone()
    {
        // 04:30 in Berlin on 2026-03-03 is 03:30 UTC.
        var scheduler = ChildActorOf(SchedulerActor.Props(CronSchedule.Parse("30 4 * * *"), DateTimeZoneProviders.Tzdb["Europe/Berlin"], Clock, null, processStart: true));
        scheduler.Tell(SchedulerActor.GetNextFire.Instance);
        Assert.Equal(Instant.FromUtc(2026, 3, 3, 3, 30), ExpectMsg<SchedulerActor.NextFire>().At);
        Clock.Reset(Instant.FromUtc(2026, 3, 3, 3, 30));
        scheduler.Tell(SchedulerActor.Check.Instance);
        Assert.Equal(Instant.FromUtc(2026, 3, 3, 3, 30), ExpectMsg<SchedulerActor.Fired>().ScheduledFor);
        scheduler.Tell(SchedulerActor.GetNextFire.Instance);
        Assert.Equal(Instant.FromUtc(2026, 3, 4, 3, 30), ExpectMsg<SchedulerActor.NextFire>().At);
    }

    [Fact]
    public void A_fire_missed_while_down_is_caught_up_once_at_start_only()
    {
        var covered = Instant.FromUtc(2026, 3, 1, 12, 0); // last seen before today's 04:30 fire
        ChildActorOf(SchedulerActor.Props(CronSchedule.Parse("30 4 * * *"), Zones.Utc, Clock, covered, processStart: true));
        var fired = ExpectMsg<SchedulerActor.Fired>();
        Assert.True(fired.CatchUp);
        Assert.Equal(Instant.FromUtc(2026, 3, 2, 4, 30), fired.ScheduledFor);
        ChildActorOf(SchedulerActor.Props(CronSchedule.Parse("30 4 * * *"), Zones.Utc, Clock, covered, processStart: false));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    private IActorRef SyncedHost(SubscriptionSpec spec)
    {
        var host = StartHost(Config(spec));
        AwaitConnectedAndSynced();
        return host;
    }

    private Akka.Actor.ActorSelection SchedulerOf(string name) => Sys.ActorSelection($"/user/garden/subscription-{name}/scheduler-*");

    private int ScheduledRequests() => Sent(GatewayProtocol.DeploymentRequest).Count(p => (string?)p["trigger"] == "scheduled");

    [Fact]
    public void A_fire_inside_the_window_requests_a_deployment_and_a_fire_outside_is_skipped()
    {
        SyncedHost(Nixos(schedule: "0 * * * *", policyJson: """{"n":{"actions":["activate"],"triggers":["scheduled"],"window":{"time_start":"10:30","time_end":"11:30"}}}"""));
        Clock.Reset(Instant.FromUtc(2026, 3, 2, 11, 0)); // inside the window
        SchedulerOf("web").Tell(SchedulerActor.Check.Instance);
        AwaitCondition(() => ScheduledRequests() == 1, TimeSpan.FromSeconds(5));
        Clock.Reset(Instant.FromUtc(2026, 3, 2, 12, 0)); // outside
        SchedulerOf("web").Tell(SchedulerActor.Check.Instance);
        Thread.Sleep(300);
        Assert.Equal(1, ScheduledRequests());
    }

    [Fact]
    public void A_second_fire_within_60_s_is_skipped()
    {
        SyncedHost(Nixos(schedule: "* * * * *"));
        Clock.Reset(Instant.FromUtc(2026, 3, 2, 10, 1));
        SchedulerOf("web").Tell(SchedulerActor.Check.Instance);
        AwaitCondition(() => ScheduledRequests() == 1, TimeSpan.FromSeconds(5));
        Sys.ActorSelection("/user/garden/subscription-web").Tell(new SchedulerActor.Fired(Instant.FromUtc(2026, 3, 2, 10, 1), false));
        Thread.Sleep(300);
        Assert.Equal(1, ScheduledRequests());
        Clock.Reset(Instant.FromUtc(2026, 3, 2, 10, 2, 30));
        SchedulerOf("web").Tell(SchedulerActor.Check.Instance);
        AwaitCondition(() => ScheduledRequests() == 2, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_crashed_subscription_actor_restarts_with_its_schedule_intact()
    {
        SyncedHost(Nixos(schedule: "30 4 * * *"));
        var subscription = await Sys.ActorSelection("/user/garden/subscription-web").ResolveOne(TimeSpan.FromSeconds(3));
        subscription.Tell(Kill.Instance);
        AwaitAssert(() =>
        {
            subscription.Tell(SchedulerActor.GetNextFire.Instance, TestActor);
            Assert.Equal(Instant.FromUtc(2026, 3, 3, 4, 30), ExpectMsg<SchedulerActor.NextFire>(TimeSpan.FromMilliseconds(500)).At);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Poll_on_connect_asks_for_every_permitted_subscription_and_skips_denied_ones()
    {
        StartHost(Config(Nixos("a"), Nixos("b", policyJson: """{"m":{"actions":["activate"],"triggers":["manual"]}}""")));
        AwaitConnectedAndSynced(2);
        AwaitCondition(() => Sent(GatewayProtocol.DeploymentRequest).Count >= 1, TimeSpan.FromSeconds(5));
        Thread.Sleep(200);
        var polls = Sent(GatewayProtocol.DeploymentRequest);
        var only = Assert.Single(polls);
        Assert.Equal("poll_on_connect", (string?)only["trigger"]);
        Assert.Equal(SidOf("a"), (string?)only["subscription_sids"]![0]);
        var order = Gateway.Calls.Select(c => c.Method).ToList();
        Assert.True(order.IndexOf(GatewayProtocol.SubscriptionsSync) < order.IndexOf(GatewayProtocol.GardenSeedsReport));
        Assert.True(order.IndexOf(GatewayProtocol.GardenSeedsReport) < order.IndexOf(GatewayProtocol.GardenReport));
    }

    [Fact]
    public void Reload_applies_a_new_configuration_without_restart_and_keeps_the_old_one_when_invalid()
    {
        var next = Config(Nixos("a"), Nixos("b"));
        var answer = new ConfigLoadResult(next, []);
        var host = StartHost(Config(Nixos("a")), reload: () => answer);
        AwaitConnectedAndSynced(1);
        host.Tell(new GardenDaemonCommands.RequestReload("test"));
        AwaitConnectedAndSynced(2);
        Assert.Equal(2, Gateway.CallsOf(GatewayProtocol.SubscriptionsSync).Count);
        answer = new ConfigLoadResult(null, [new ValidationProblem("endpoint", "is required")]);
        host.Tell(new GardenDaemonCommands.RequestReload("test"));
        Thread.Sleep(300);
        Assert.Equal(2, Gateway.CallsOf(GatewayProtocol.SubscriptionsSync).Count);
        Assert.Equal(2, Store.Current.Subscriptions!.Value.Length);
    }

    [Fact]
    public void A_reload_during_a_deployment_runs_right_after_it()
    {
        var reloads = 0;
        var host = StartHost(Config(Nixos()), reload: () => { Interlocked.Increment(ref reloads); return new ConfigLoadResult(Config(Nixos()), []); });
        AwaitConnectedAndSynced();
        var release = new TaskCompletionSource<int>();
        Activator.Behaviour = r => r.Type == Sower.Messages.Activator.ActivatorRequestTypes.NixOS ? release.Task : Task.FromResult(0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa1", "manual", "web"));
        AwaitCondition(() => Activator.OfType(Sower.Messages.Activator.ActivatorRequestTypes.NixOS).Count == 1, TimeSpan.FromSeconds(10));
        host.Tell(new GardenDaemonCommands.RequestReload("SIGHUP"));
        Thread.Sleep(300);
        Assert.Equal(0, reloads);
        release.SetResult(0);
        AwaitCondition(() => reloads == 1, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Admin_deploy_checks_target_sync_connection_and_policy()
    {
        var host = StartHost(Config(Nixos("a"), Nixos("b"), Nixos("m", policyJson: """{"s":{"actions":["activate"],"triggers":["scheduled"]}}""") with { SeedType = SeedType.HomeManager, SeedName = "alice" }));
        AwaitConnectedAndSynced(3);
        string Ask(SeedType? type, string? sid) => host.Ask<GardenDaemonCommands.AdminReply>(new GardenDaemonCommands.AdminDeploy(type, sid, false), TimeSpan.FromSeconds(5)).Result.Text;
        Assert.Equal(AdminProtocol.DeployNeedsTarget, Ask(null, null));
        Assert.Equal("subscription not found for sid sub_nope", Ask(null, "sub_nope"));
        Assert.Equal(AdminProtocol.MultipleMatched, Ask(SeedType.NixOS, null));
        Assert.Equal(AdminProtocol.SubscriptionNotFound, Ask(SeedType.Service, null));
        Assert.Equal(AdminProtocol.PolicyDenied, Ask(SeedType.HomeManager, null));
        Assert.Equal(AdminProtocol.DeploymentEnqueued, Ask(null, SidOf("a")));
        var manual = Sent(GatewayProtocol.DeploymentRequest).Last();
        Assert.Equal("manual", (string?)manual["trigger"]);
        // The server's word counts too: its policy_denied, and its accepted-but-awaiting-approval reply (§5.15).
        Gateway.Reply = (m, p) => m == GatewayProtocol.DeploymentRequest ? GatewayReply.Failure("policy_denied", "denied") : FakeGardenGateway.DefaultReply(m, p);
        Assert.Equal(AdminProtocol.PolicyDenied, Ask(null, SidOf("b")));
        Gateway.Reply = (m, p) => m == GatewayProtocol.DeploymentRequest
            ? GatewayReply.Success(new System.Text.Json.Nodes.JsonObject { ["request_id"] = p["request_id"]?.DeepClone(), ["status"] = "awaiting_approval" })
            : FakeGardenGateway.DefaultReply(m, p);
        Assert.Equal(AdminProtocol.ApprovalRequired, Ask(null, SidOf("b")));
        Gateway.Reply = (m, p) => m == GatewayProtocol.DeploymentRequest
            ? GatewayReply.Success(new System.Text.Json.Nodes.JsonObject { ["request_id"] = p["request_id"]?.DeepClone(), ["status"] = "accepted" })
            : FakeGardenGateway.DefaultReply(m, p);
        Assert.Equal(AdminProtocol.DeploymentEnqueued, Ask(null, SidOf("b")));
        Gateway.GoOffline();
        AwaitAssert(() => Assert.Equal(AdminProtocol.NotConnected, Ask(null, SidOf("a"))), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Admin_deploy_before_the_first_sync_says_so()
    {
        Gateway.Online = false;
        var host = StartHost(Config(Nixos()));
        var reply = await host.Ask<GardenDaemonCommands.AdminReply>(new GardenDaemonCommands.AdminDeploy(SeedType.NixOS, null, false), TimeSpan.FromSeconds(5));
        Assert.Equal(AdminProtocol.NotSynced, reply.Text);
    }

    [Fact]
    public void Status_reports_connection_subscriptions_next_fire_and_next_window_change()
    {
        var host = StartHost(Config(Nixos(schedule: "30 4 * * *", policyJson: """{"n":{"actions":["activate"],"window":{"time_start":"12:00","time_end":"13:00"}}}""")));
        AwaitConnectedAndSynced();
        AwaitAssert(() =>
        {
            var status = host.Ask<GardenStatus>(new GardenDaemonCommands.GetStatus(), TimeSpan.FromSeconds(3)).Result;
            Assert.True(status.Connected);
            var sub = Assert.Single(status.Subscriptions);
            Assert.Equal(SidOf("web"), sub.Sid);
            Assert.Equal("2026-03-03T04:30:00Z", sub.NextFire);
            Assert.Equal("2026-03-02T12:00:00Z", sub.NextWindowChange);
        }, TimeSpan.FromSeconds(5));
    }
}
