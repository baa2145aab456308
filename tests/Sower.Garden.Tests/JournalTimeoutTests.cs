using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Sower.Actors.Garden;

namespace Sower.Garden.Tests;

public sealed class JournalTimeoutTests
{
    [Fact]
    public async Task The_configured_journal_recovery_timeout_reaches_the_garden_journal_plugin()
    {
        var hocon = ConfigurationFactory.ParseString(GardenAkkaHostingExtensions.JournalTimeoutsHocon(TimeSpan.FromSeconds(120)))
            .WithFallback(ConfigurationFactory.ParseString(GardenTestKit.Hocon));
        using var system = ActorSystem.Create("journal-timeouts", hocon);
        try
        {
            // As Akka.Persistence builds a plugin's settings: its own section over the plugin fallback.
            Persistence.Instance.Apply(system);
            var config = system.Settings.Config;
            var journal = config.GetConfig("akka.persistence.journal.inmem").WithFallback(config.GetConfig("akka.persistence.journal-plugin-fallback"));
            var snapshots = config.GetConfig("akka.persistence.snapshot-store.inmem").WithFallback(config.GetConfig("akka.persistence.snapshot-store-plugin-fallback"));
            Assert.Equal(TimeSpan.FromSeconds(120), journal.GetTimeSpan("recovery-event-timeout", null));
            Assert.Equal(TimeSpan.FromSeconds(120), journal.GetTimeSpan("circuit-breaker.call-timeout", null));
            Assert.Equal(TimeSpan.FromSeconds(120), snapshots.GetTimeSpan("circuit-breaker.call-timeout", null));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
