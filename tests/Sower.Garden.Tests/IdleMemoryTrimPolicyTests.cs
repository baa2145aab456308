using Sower.Garden;

namespace Sower.Garden.Tests;

public sealed class IdleMemoryTrimPolicyTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Trims_at_the_first_quiet_tick_after_start_up()
    {
        var policy = new IdleMemoryTrimPolicy(allocatedAtStart: 20 * MiB);
        Assert.False(policy.ShouldTrim(26 * MiB)); // still connecting: 6 MiB in this tick
        Assert.True(policy.ShouldTrim(26 * MiB + 1000));
    }

    [Fact]
    public void Never_trims_while_work_is_allocating()
    {
        var policy = new IdleMemoryTrimPolicy(0);
        for (long allocated = MiB; allocated < 200 * MiB; allocated += MiB)
            Assert.False(policy.ShouldTrim(allocated));
    }

    [Fact]
    public void Does_not_trim_again_until_enough_new_work_was_done()
    {
        var policy = new IdleMemoryTrimPolicy(0);
        Assert.False(policy.ShouldTrim(30 * MiB));
        Assert.True(policy.ShouldTrim(30 * MiB));
        policy.Trimmed(30 * MiB);
        long allocated = 30 * MiB;
        // an idle garden: a little per tick, never a trim until 4 MiB have been allocated since the last one
        for (var i = 0; i < 40; i++)
        {
            allocated += 100 * 1024;
            Assert.False(policy.ShouldTrim(allocated));
        }
        allocated += 100 * 1024;
        Assert.True(policy.ShouldTrim(allocated));
    }

    [Fact]
    public void A_deployment_is_trimmed_after_it_finishes()
    {
        var policy = new IdleMemoryTrimPolicy(0);
        Assert.False(policy.ShouldTrim(10 * MiB));
        Assert.True(policy.ShouldTrim(10 * MiB));
        policy.Trimmed(10 * MiB);
        Assert.False(policy.ShouldTrim(40 * MiB));
        Assert.False(policy.ShouldTrim(90 * MiB));
        Assert.True(policy.ShouldTrim(90 * MiB + 1));
    }
}
