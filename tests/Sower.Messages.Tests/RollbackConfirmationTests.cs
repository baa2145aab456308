using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;
using static Sower.Messages.GardenDaemon.RollbackConfirmation;

namespace Sower.Messages.Tests;

/// <summary>The garden's half of magic rollback without actors: the activator's answer to a confirmation, and its rollback status after a restart.</summary>
public sealed class RollbackConfirmationTests
{
    [Fact]
    public void A_confirmed_switch_settles_with_the_deployments_own_result()
    {
        var outcome = Decide(ActivatorExitCodes.Success, null, [], false, 0);
        Assert.Equal(Verdict.Settled, outcome.Verdict);
        Assert.StartsWith("confirmed: this garden reached the server after the switch", outcome.Text);
    }

    [Fact]
    public void A_deadline_that_fired_rolls_the_deployment_back_with_the_activators_reason()
    {
        var outcome = Decide(ActivatorExitCodes.RolledBack, null, ["log line", ErrorPrefix + "rolled back: no confirmation within 120 s"], false, 0);
        Assert.Equal(new Outcome(Verdict.RolledBack, "no confirmation within 120 s"), outcome);
        // Without the usual prefix every error the activator sent is the reason.
        Assert.Equal("a; b", Decide(ActivatorExitCodes.RolledBack, null, [ErrorPrefix + "a", ErrorPrefix + "b"], false, 0).Text);
    }

    [Fact]
    public void A_deadline_waiting_for_a_boot_this_deployment_asked_for_is_left_to_the_boot_and_any_other_settles()
    {
        Assert.Equal(Verdict.WaitForBoot, Decide(ActivatorExitCodes.NotYetBooted, null, [], rebootRequestedHere: true, 0).Verdict);
        var other = Decide(ActivatorExitCodes.NotYetBooted, null, [], rebootRequestedHere: false, 0);
        Assert.Equal(Verdict.Settled, other.Verdict);
        Assert.Contains("fires only if the garden cannot reach the server after the next boot", other.Text);
    }

    [Fact]
    public void An_activator_that_cannot_be_asked_is_asked_again_up_to_the_limit_then_the_deployment_settles_saying_why()
    {
        Assert.Equal(Verdict.Retry, Decide(null, "socket refused", [], false, 1).Verdict);
        Assert.Equal(Verdict.Retry, Decide(null, "socket refused", [], false, MaxAttempts - 1).Verdict);
        Assert.Equal(new Outcome(Verdict.Settled, "confirmation not recorded by the activator: socket refused"), Decide(null, "socket refused", [], false, MaxAttempts));
        // An exit code it does not know settles at once, with the activator's errors.
        Assert.Equal(new Outcome(Verdict.Settled, "confirmation not recorded by the activator: bad request"), Decide(2, null, [ErrorPrefix + "bad request"], false, 0));
    }

    [Fact]
    public void A_restarted_garden_reads_a_fired_deadline_and_its_reason_from_the_status_and_ignores_log_lines()
    {
        Assert.Equal(("boot timed out", false), ReadStatus(["building…", """{"state": "rolled_back", "reason": "boot timed out"}"""]));
        Assert.Equal(("the activator rolled the switch back", false), ReadStatus(["""{"state": "rollback_failed"}"""]));
        Assert.Equal((null, true), ReadStatus(["not json {", """{"state": "armed"}""", "[1, 2]", """{"state": 5}"""]));
        Assert.Equal((null, false), ReadStatus([]));
    }
}
