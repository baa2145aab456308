using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.Persistence.Sqlite;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>Registry key of the <see cref="GardenHostActor"/>.</summary>
public sealed class GardenHostKey;

/// <summary>The garden's Akka.Hosting wiring, one extension per feature, called by the host and by tests.</summary>
public static class GardenAkkaHostingExtensions
{
    /// <summary>The journal and snapshot store in <c>&lt;state_directory&gt;/garden.db</c>: the lean SQLite plugin (no
    /// linq2db), which copies a journal written there by Akka.Persistence.Sql once, on the first start after an upgrade.</summary>
    public static AkkaConfigurationBuilder WithGardenPersistence(this AkkaConfigurationBuilder builder, string stateDirectory) =>
        builder.WithSqliteJournal(GardenDatabasePath(stateDirectory));

    public static string GardenDatabasePath(string stateDirectory) => Path.Combine(stateDirectory, "garden.db");

    /// <summary>
    /// Generous journal and snapshot timeouts (<c>timeouts.journal_recovery</c>, default 120 s): Akka's 30 s recovery and
    /// 10 s call timeouts were once exceeded by the SQLite journal of a garden on a loaded host, which stopped its deployer.
    /// </summary>
    public static AkkaConfigurationBuilder WithGardenJournalTimeouts(this AkkaConfigurationBuilder builder, TimeSpan timeout) =>
        builder.AddHocon(JournalTimeoutsHocon(timeout), HoconAddMode.Prepend);

    /// <summary>The HOCON behind <see cref="WithGardenJournalTimeouts"/>: every journal and snapshot plugin inherits it.</summary>
    public static string JournalTimeoutsHocon(TimeSpan timeout)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        return $$"""
            akka.persistence.journal-plugin-fallback {
              recovery-event-timeout = {{seconds}}s
              circuit-breaker.call-timeout = {{seconds}}s
            }
            akka.persistence.snapshot-store-plugin-fallback.circuit-breaker.call-timeout = {{seconds}}s
            """;
    }

    /// <summary>The garden journal's serializer, and <see cref="GardenNoFallbackSerializer"/> in place of Akka's Newtonsoft.Json default.</summary>
    public static AkkaConfigurationBuilder WithGardenSerialization(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon($"akka.actor.serializers.json = \"{typeof(GardenNoFallbackSerializer).AssemblyQualifiedName}\"", HoconAddMode.Prepend)
            .WithCustomSerializer("garden-journal", [typeof(IGardenJournalEvent)], system => new GardenJournalSerializer(system));

    public static AkkaConfigurationBuilder WithGardenHost(this AkkaConfigurationBuilder builder, GardenHostSettings settings) =>
        builder.WithActors((system, registry) =>
        {
            var host = system.ActorOf(GardenHostActor.Props(settings), "garden");
            registry.Register<GardenHostKey>(host);
        });
}
