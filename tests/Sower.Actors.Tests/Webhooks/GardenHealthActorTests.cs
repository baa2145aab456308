using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Webhooks;
using Sower.Messages.Webhooks;
using Xunit.Abstractions;

namespace Sower.Actors.Tests.Webhooks;

/// <summary>The garden-health checker as an actor on its own timer, with a fake clock that moves only when the test moves it.</summary>
public sealed class GardenHealthActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 12, 0));
    private readonly ConcurrentDictionary<string, GardenHealthSample> _gardens = new();

    private IActorRef Start() => Sys.ActorOf(Props.Create(() => new GardenHealthActor(
        () => _gardens.Values.ToList(), _clock, new GardenHealthSettings(Duration.FromMinutes(10), 2), TimeSpan.FromMilliseconds(50))));

    private void Set(string name, bool online, Instant lastSeen, params string[] streak) =>
        _gardens[name] = new GardenHealthSample("grdn_" + name, name, online, lastSeen, [.. streak]);

    [Fact]
    public void Stale_and_failing_are_published_once_per_episode_on_the_event_stream_while_the_timer_keeps_checking()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(NotificationRaised));
        var left = _clock.GetCurrentInstant();
        Set("web01", online: false, left);
        Set("web02", online: true, left, "dply_b2", "dply_b1");
        Start();

        // web02 fails twice in a row: announced at once. web01 is not stale yet.
        var failing = probe.ExpectMsg<NotificationRaised>(TimeSpan.FromSeconds(5)).Notification;
        Assert.Equal("garden.failing:grdn_web02:dply_b1", failing.Key);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        _clock.Advance(Duration.FromMinutes(10));
        var stale = probe.ExpectMsg<NotificationRaised>(TimeSpan.FromSeconds(5)).Notification;
        Assert.Equal($"garden.stale:grdn_web01:{left.ToUnixTimeSeconds()}", stale.Key);
        // Many ticks later, still the same two episodes: nothing more.
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // web01 comes back (not announced), goes away again and stays away a full period: a second episode.
        Set("web01", online: true, _clock.GetCurrentInstant());
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var back = _clock.GetCurrentInstant();
        Set("web01", online: false, back);
        _clock.Advance(Duration.FromMinutes(11));
        Assert.Equal($"garden.stale:grdn_web01:{back.ToUnixTimeSeconds()}", probe.ExpectMsg<NotificationRaised>(TimeSpan.FromSeconds(5)).Notification.Key);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_restarted_checker_raises_the_same_keys_again_for_the_outbox_to_drop()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(NotificationRaised));
        Set("db01", online: false, _clock.GetCurrentInstant());
        _clock.Advance(Duration.FromHours(1));
        var first = Start();
        var key = probe.ExpectMsg<NotificationRaised>(TimeSpan.FromSeconds(5)).Notification.Key;
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        Start();
        Assert.Equal(key, probe.ExpectMsg<NotificationRaised>(TimeSpan.FromSeconds(5)).Notification.Key);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }
}
