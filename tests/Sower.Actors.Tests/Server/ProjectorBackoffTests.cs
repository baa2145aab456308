using Sower.Actors.Server.Projections;

namespace Sower.Actors.Tests.Server;

public sealed class ProjectorBackoffTests
{
    [Fact]
    public void The_delay_doubles_from_the_minimum_within_the_jitter_and_never_exceeds_the_maximum()
    {
        var backoff = new ProjectorBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(backoff.Delay(1).TotalSeconds, 0.8, 1.2);
            Assert.InRange(backoff.Delay(3).TotalSeconds, 3.2, 4.8);
            Assert.InRange(backoff.Delay(6).TotalSeconds, 24, 30);
            Assert.InRange(backoff.Delay(int.MaxValue).TotalSeconds, 24, 30);
        }
    }
}
