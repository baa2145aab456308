using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The result of an activation a garden restart interrupted, without actors: never repeated, judged from its profile.</summary>
public sealed class InterruptedActivationTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void An_activation_its_profile_shows_is_a_success_that_says_it_was_reconciled()
    {
        var judged = InterruptedActivation.Judge(new(ReconcileVerdict.Applied, "system points at /nix/store/x"), "host (nixos)", 0, TimeSpan.FromSeconds(30), Second);
        Assert.Equal(new InterruptedActivation.Judgement(false, "success",
            "activation of host (nixos) was interrupted by a garden restart; reconciled from the profile: system points at /nix/store/x"), judged);
    }

    [Fact]
    public void An_activation_not_visible_yet_is_looked_at_again_until_the_wait_runs_out_then_fails_without_a_repeat()
    {
        var notYet = new ReconcileOutcome(ReconcileVerdict.NotApplied, "system points at /nix/store/old");
        var wait = TimeSpan.FromSeconds(3);
        Assert.Equal(3, InterruptedActivation.Looks(wait, Second));
        for (var looked = 0; looked < 3; looked++)
            Assert.True(InterruptedActivation.Judge(notYet, "host (nixos)", looked, wait, Second).LookAgain);
        var last = InterruptedActivation.Judge(notYet, "host (nixos)", 3, wait, Second);
        Assert.False(last.LookAgain);
        Assert.Equal("failure", last.Result);
        Assert.Equal("activation of host (nixos) was interrupted by a garden restart and did not take effect within 3s: system points at /nix/store/old; it is not repeated", last.Text);
    }

    [Fact]
    public void An_outcome_nothing_can_read_fails_at_once()
    {
        var judged = InterruptedActivation.Judge(new(ReconcileVerdict.Unknown, "the bundle cannot be read"), "web (service)", 0, TimeSpan.FromSeconds(30), Second);
        Assert.False(judged.LookAgain);
        Assert.Equal("failure", judged.Result);
        Assert.EndsWith("the bundle cannot be read, so it is recorded as failed and not repeated", judged.Text);
    }

    [Fact]
    public void A_wait_shorter_than_one_interval_still_looks_once() =>
        Assert.Equal(1, InterruptedActivation.Looks(TimeSpan.Zero, Second));
}
