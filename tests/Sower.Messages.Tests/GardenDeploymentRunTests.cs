using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>A garden deployment's run-time bookkeeping without actors: slots, read-backs, what ran, the reboot's seed.</summary>
public sealed class GardenDeploymentRunTests
{
    private static GardenSeedDeployment Seed(string sid, string type = "nixos") =>
        new("sub_" + sid, PolicyAction.Activate, new GardenSeed(sid, "host-" + sid, type, "/nix/store/" + sid, []));

    [Fact]
    public void Admitted_seeds_start_oldest_first_and_never_more_than_the_parallelism_at_once()
    {
        var run = GardenDeploymentRun.Empty.Admit(Seed("a"), PolicyAction.Stage).Admit(Seed("b"), PolicyAction.Activate).Admit(Seed("c"), PolicyAction.Activate);

        (run, var first) = run.StartMore(2);
        Assert.Equal(["a", "b"], first.Select(s => s.Item.Seed.Sid));
        Assert.Equal(PolicyAction.Stage, first[0].Allowed);
        (run, var none) = run.StartMore(2);
        Assert.Empty(none);

        run = run.SeedDone("a", PolicyAction.Stage);
        (run, var next) = run.StartMore(2);
        Assert.Equal(["c"], next.Select(s => s.Item.Seed.Sid));
        Assert.False(run.AllSeedsDone);

        run = run.SeedDone("b", null).SeedDone("c", PolicyAction.Activate);
        Assert.True(run.AllSeedsDone);
        Assert.Equal(PolicyAction.Stage, run.Executed["a"]);
        Assert.False(run.Executed.ContainsKey("b"));
    }

    [Fact]
    public void An_interrupted_activation_keeps_the_deployment_open_until_its_outcome_is_read_back()
    {
        var run = GardenDeploymentRun.Empty.ReadBack(Seed("a"), PolicyAction.Restart, "root");
        Assert.False(run.AllSeedsDone);

        run = run.LookedAgain("a").LookedAgain("a");
        Assert.Equal(2, run.Reconciling["a"].Looks);

        run = run.ReadBackDone("a", succeeded: true);
        Assert.True(run.AllSeedsDone);
        Assert.Equal(PolicyAction.Restart, run.Executed["a"]);
    }

    [Fact]
    public void A_failed_read_back_counts_as_nothing_executed_and_a_rollback_stops_every_read_back()
    {
        var run = GardenDeploymentRun.Empty.ReadBack(Seed("a"), PolicyAction.Activate, "root").ReadBack(Seed("b"), PolicyAction.Activate, "root");
        run = run.ReadBackDone("a", succeeded: false);
        Assert.Empty(run.Executed);
        Assert.False(run.AllSeedsDone);
        Assert.True(run.StopReadingBack().AllSeedsDone);
        // A seed no longer read back is not changed by a late look.
        Assert.Equal(run.StopReadingBack(), run.StopReadingBack().LookedAgain("b").ReadBackDone("b", true));
    }

    [Fact]
    public void Only_a_nixos_seed_that_executed_a_restart_decides_the_reboot()
    {
        var seeds = new[] { Seed("svc", "service"), Seed("a"), Seed("b") };
        var run = GardenDeploymentRun.Empty.SeedDone("svc", PolicyAction.Restart).SeedDone("a", PolicyAction.Activate);
        Assert.Null(run.Restarted(seeds));

        run = run.SeedDone("b", PolicyAction.Restart);
        Assert.Equal("b", run.Restarted(seeds)?.Seed.Sid);
    }
}
