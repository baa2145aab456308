using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>Where a deployment is with the activator's rollback deadline, without actors: requests, replies, attempts.</summary>
public sealed class RollbackConfirmationRunTests
{
    [Fact]
    public void Only_the_replies_to_the_request_in_flight_are_kept_and_a_new_request_starts_afresh()
    {
        var run = RollbackConfirmationRun.Empty.AskConfirmation("act_1")
            .Heard("act_1", isError: false, "log line")
            .Heard("act_other", isError: true, "not ours")
            .Heard("act_1", isError: true, "rolled back: no confirmation within 120 s");
        Assert.Equal(["log line", RollbackConfirmation.ErrorPrefix + "rolled back: no confirmation within 120 s"], run.Replies);

        Assert.Empty(run.AskConfirmation("act_2").Replies);
    }

    [Fact]
    public void A_confirmation_the_activator_answered_ends_the_request_with_its_verdict()
    {
        var run = RollbackConfirmationRun.Empty.AskConfirmation("act_1").Heard("act_1", true, "rolled back: the server was not reached");
        (run, var outcome) = run.ConfirmationAnswered(ActivatorExitCodes.RolledBack, null);
        Assert.Null(run.ConfirmRequest);
        Assert.Equal(new RollbackConfirmation.Outcome(RollbackConfirmation.Verdict.RolledBack, "the server was not reached"), outcome);
        Assert.Equal(0, run.FailedAttempts);
    }

    [Fact]
    public void Confirmations_the_activator_could_not_be_asked_are_counted_and_stop_being_retried()
    {
        var run = RollbackConfirmationRun.Empty;
        RollbackConfirmation.Outcome outcome;
        for (var i = 1; i < RollbackConfirmation.MaxAttempts; i++)
        {
            (run, outcome) = run.AskConfirmation("act_" + i).ConfirmationAnswered(null, "connection refused");
            Assert.Equal(RollbackConfirmation.Verdict.Retry, outcome.Verdict);
            Assert.Equal(i, run.FailedAttempts);
        }
        (run, outcome) = run.AskConfirmation("act_last").ConfirmationAnswered(null, "connection refused");
        Assert.Equal(RollbackConfirmation.Verdict.Settled, outcome.Verdict);
        Assert.Equal("confirmation not recorded by the activator: connection refused", outcome.Text);
    }

    [Fact]
    public void A_deadline_waiting_for_a_boot_this_deployment_asked_for_is_left_to_the_boot()
    {
        var (_, asked) = RollbackConfirmationRun.Empty.RebootAsked().AskConfirmation("act_1").ConfirmationAnswered(ActivatorExitCodes.NotYetBooted, null);
        Assert.Equal(RollbackConfirmation.Verdict.WaitForBoot, asked.Verdict);
        var (_, other) = RollbackConfirmationRun.Empty.AskConfirmation("act_1").ConfirmationAnswered(ActivatorExitCodes.NotYetBooted, null);
        Assert.Equal(RollbackConfirmation.Verdict.Settled, other.Verdict);
    }

    [Fact]
    public void The_status_after_a_restart_says_whether_the_deadline_fired_or_is_still_armed()
    {
        var fired = RollbackConfirmationRun.Empty.AskStatus("act_s").Heard("act_s", false, """{"state":"rolled_back","reason":"boot failed"}""");
        var (afterFired, reason) = fired.StatusAnswered();
        Assert.Equal("boot failed", reason);
        Assert.True(afterFired.StatusChecked);
        Assert.Null(afterFired.StatusRequest);
        Assert.False(afterFired.ArmedAtRecovery);

        var armed = RollbackConfirmationRun.Empty.AskStatus("act_s").Heard("act_s", false, """{"state":"armed"}""");
        var (afterArmed, none) = armed.StatusAnswered();
        Assert.Null(none);
        Assert.True(afterArmed.ArmedAtRecovery);
    }
}
