using System.Collections.Immutable;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The garden's root without actors: what the end of the last deployment triggers, seeds per subscription, admin deploy targets.</summary>
public sealed class GardenHostStateTests
{
    private static SyncedSubscription Sub(string sid, string name, SeedType type) =>
        new(sid, new SubscriptionSpec(name, "host", type, [], null, null, Policy.Default));

    [Fact]
    public void The_end_of_the_last_deployment_publishes_the_connection_state_and_lets_idle_work_run_unless_draining()
    {
        var running = GardenHostState.Initial.ConnectionChanged(true).DeployerActivity(["dply_a"]).State;
        Assert.False(running.Idle);
        var (idle, status, idleWork) = running.DeployerActivity([]);
        Assert.Equal("connected", status);
        Assert.True(idleWork);
        Assert.True(idle.Idle);
        // Nothing was running: no status line to restore, but idle work may still run.
        var (_, again, stillIdle) = idle.DeployerActivity([]);
        Assert.Null(again);
        Assert.True(stillIdle);
        var (_, offline, _) = running.ConnectionChanged(false).DeployerActivity([]);
        Assert.Equal("disconnected", offline);
        Assert.False(running.Drained().DeployerActivity([]).IdleWork);
    }

    [Fact]
    public void A_reload_stays_pending_until_it_ran()
    {
        var state = GardenHostState.Initial.ReloadRequested();
        Assert.True(state.ReloadPending);
        Assert.False(state.ReloadRan().ReloadPending);
    }

    [Fact]
    public void An_applied_seed_becomes_current_and_is_no_longer_pending()
    {
        var state = GardenHostState.Initial.SeedApplied("sub_1", "seed_old").SeedPending("sub_1", "seed_new");
        Assert.Equal("seed_new", state.PendingSeed["sub_1"]);
        state = state.SeedApplied("sub_1", "seed_new");
        Assert.Equal("seed_new", state.CurrentSeed["sub_1"]);
        Assert.False(state.PendingSeed.ContainsKey("sub_1"));
    }

    [Fact]
    public void An_admin_deploy_names_one_synced_subscription_by_sid_or_by_its_only_seed_type()
    {
        ImmutableArray<SyncedSubscription> stored = [Sub("sub_1", "os", SeedType.NixOS), Sub("sub_2", "alice", SeedType.HomeManager), Sub("sub_3", "bob", SeedType.HomeManager)];
        Assert.Equal((null, AdminProtocol.DeployNeedsTarget), GardenHostState.AdminDeployTarget(null, null, stored, true));
        Assert.Equal((null, AdminProtocol.NotSynced), GardenHostState.AdminDeployTarget("sub_1", null, null, true));
        Assert.Equal((null, AdminProtocol.SubscriptionNotFoundForSid("sub_9")), GardenHostState.AdminDeployTarget("sub_9", null, stored, true));
        Assert.Equal((null, AdminProtocol.MultipleMatched), GardenHostState.AdminDeployTarget(null, SeedType.HomeManager, stored, true));
        Assert.Equal((null, AdminProtocol.SubscriptionNotFound), GardenHostState.AdminDeployTarget(null, SeedType.NixDarwin, stored, true));
        Assert.Equal("sub_1", GardenHostState.AdminDeployTarget(null, SeedType.NixOS, stored, true).Target!.Sid);
        Assert.Equal("sub_3", GardenHostState.AdminDeployTarget("sub_3", SeedType.NixOS, stored, true).Target!.Sid); // the sid wins
        Assert.Equal((null, AdminProtocol.NotConnected), GardenHostState.AdminDeployTarget("sub_1", null, stored, false));
    }
}
