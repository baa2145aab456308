using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>A deployment on the garden without actors: what its journal means after a restart, its result, and its profile locks.</summary>
public sealed class GardenDeploymentStateTests
{
    private static GardenDeploymentState Replay(params IGardenJournalEvent[] events) => events.Aggregate(GardenDeploymentState.Empty, (s, e) => s.Apply(e));

    [Fact]
    public void A_replayed_journal_tells_which_activations_were_interrupted_and_which_seeds_finished()
    {
        var state = Replay(
            new GardenJournalEvents.ActivationStarted("seed_a", "activate"),
            new GardenJournalEvents.SeedFinished("seed_a", "success", "activate", "ok\n"),
            new GardenJournalEvents.ActivationStarted("seed_b", "restart", "alice"),
            new GardenJournalEvents.RollbackArmed("seed_a"));
        Assert.Equal(["seed_b"], state.ActivationsStarted.Keys.Where(k => !state.Finished.ContainsKey(k)));
        Assert.Equal("alice", state.ActivationsStarted["seed_b"].User);
        Assert.Contains("seed_a", state.ArmedSeeds);
        Assert.Null(state.Completed);
        Assert.Null(state.ConfirmationAwaited);
    }

    [Fact]
    public void A_later_event_for_the_same_seed_replaces_the_earlier_and_completion_and_confirmation_are_kept()
    {
        var state = Replay(
            new GardenJournalEvents.SeedFinished("seed_a", "failure", "activate", "first\n"),
            new GardenJournalEvents.SeedFinished("seed_a", "success", "activate", "again\n"),
            new GardenJournalEvents.LiveSwitchStarted("seed_a", "/nix/store/x-system"),
            new GardenJournalEvents.ConfirmationAwaited("success", false, 1),
            new GardenJournalEvents.DeploymentCompleted("success", "2026-01-01T00:00:00Z"));
        Assert.Equal("success", state.Finished["seed_a"].Result);
        Assert.Equal("/nix/store/x-system", state.LiveSwitch!.NewSystem);
        Assert.Equal("success", state.ConfirmationAwaited!.Result);
        Assert.Equal("2026-01-01T00:00:00Z", state.Completed!.DeployedAt);
        // Events of other journals (the outbox's) change nothing here.
        Assert.Equal(state, state.Apply(new GardenJournalEvents.OutboxDelivered(3)));
    }

    [Fact]
    public void The_result_counts_a_seed_without_a_result_as_failed()
    {
        var state = Replay(
            new GardenJournalEvents.SeedFinished("a", "success", "activate", ""),
            new GardenJournalEvents.SeedFinished("b", "skipped", "none", ""),
            new GardenJournalEvents.SeedFinished("c", null, null, ""));
        Assert.Equal("success", state.Result(["a"]));
        Assert.Equal("partial", state.Result(["a", "b"]));
        Assert.Equal("partial", state.Result(["a", "c"]));
        Assert.Equal("failure", state.Result(["c", "missing"]));
        Assert.Equal("skipped", state.Result(["b"]));
        Assert.Equal("skipped", state.Result([]));
    }

    [Fact]
    public void A_profile_lock_goes_to_the_seeds_in_the_order_they_asked_and_a_seed_releases_only_what_it_holds()
    {
        var locks = ProfileLocks.None.Want("system", "s1").Want("system", "s2").Want("home:alice", "s3");
        (locks, var first) = locks.Granted("system");
        Assert.Equal("s1", first);
        locks = locks.Hold("s1", "system");
        (locks, var second) = locks.Granted("system");
        Assert.Equal("s2", second);
        (locks, var nobody) = locks.Granted("system");
        Assert.Null(nobody); // a grant nobody waits for: the caller gives the lock back
        (locks, var none) = locks.Release("s3");
        Assert.Null(none);
        (locks, var released) = locks.Release("s1");
        Assert.Equal("system", released);
        Assert.Empty(locks.HeldBySeed);
    }

    [Fact]
    public void A_rollback_lets_every_held_lock_go_at_once()
    {
        var locks = ProfileLocks.None.Hold("s1", "system").Hold("s2", "home:bob");
        var (after, keys) = locks.ReleaseAll();
        Assert.Equal(["home:bob", "system"], keys.Order());
        Assert.Empty(after.HeldBySeed);
    }
}
