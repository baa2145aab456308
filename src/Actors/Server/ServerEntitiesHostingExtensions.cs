using Akka.Actor;
using Akka.Pattern;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using NodaTime;
using Sower.Actors.Serialization;
using Sower.Actors.Server.Presence;
using Sower.Actors.Server.Projections;
using Sower.Messages;

namespace Sower.Actors.Server;

/// <summary>Registry key of the read-model projector.</summary>
public sealed class ReadModelProjectorKey;

/// <summary>One AkkaConfigurationBuilder extension per server feature; the host and the tests call the same ones.</summary>
public static class ServerEntitiesHostingExtensions
{
    public const string ReadJournalId = "akka.persistence.query.journal.sql";

    /// <summary>Everything of the server core: serializer, the four entity regions, projections.</summary>
    public static AkkaConfigurationBuilder WithSowerServerEntities(this AkkaConfigurationBuilder builder, ServerEntitySettings settings, IClock clock,
        ReadModelStore store) =>
        builder.WithSowerSerialization()
            // A shard with remembered entities loads (and writes) them through the journal; behind a burst of writes on one
            // SQLite file that took longer than the 5 s default, and a shard that gives up stops and drops the messages it
            // held (issue 17: deployments created but never received by their entity). Coordinator updates retry anyway.
            .AddHocon("akka.cluster.sharding.updating-state-timeout = 30s", HoconAddMode.Prepend)
            .WithSowerSeeds(settings, clock)
            .WithSowerGardens(settings, clock)
            .WithSowerSubscriptions(settings, clock)
            .WithSowerDeployments(settings, clock)
            .WithSowerProjections(store, clock);

    /// <summary>The journal callback for WithSowerPersistence: tag entity events for the projections.</summary>
    public static void AddSowerEventTagger(AkkaPersistenceJournalBuilder journal) =>
        journal.AddWriteEventAdapter<SowerEventTagger>("sower-tagger", [typeof(ISowerEvent)]);

    // Entities that may owe work after a crash (a seed not yet in its line, pending realtime deliveries, a deployment with
    // a stale or expiry timer) are remembered, so sharding restarts them; they passivate, and are forgotten, once idle.
    private static ShardOptions Remembered() => new()
    {
        StateStoreMode = StateStoreMode.DData,
        RememberEntities = true,
        RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
    };

    public static AkkaConfigurationBuilder WithSowerSeeds(this AkkaConfigurationBuilder builder, ServerEntitySettings settings, IClock clock) =>
        builder
            .WithShardRegion<SeedRegion>("seed",
                (_, registry) => ServerEntityProps.Seed(registry, clock, settings),
                new SowerMessageExtractor(), Remembered())
            .WithShardRegion<SeedLineRegion>("seed-line",
                (_, registry) => ServerEntityProps.SeedLine(registry, clock, settings),
                new SowerMessageExtractor(), Remembered());

    public static AkkaConfigurationBuilder WithSowerGardens(this AkkaConfigurationBuilder builder, ServerEntitySettings settings, IClock clock) =>
        builder.WithShardRegion<GardenRegion>("garden",
            (_, registry) => ServerEntityProps.Garden(registry, clock, settings),
            new SowerMessageExtractor(), new ShardOptions { StateStoreMode = StateStoreMode.DData, RememberEntities = false });

    public static AkkaConfigurationBuilder WithSowerSubscriptions(this AkkaConfigurationBuilder builder, ServerEntitySettings settings, IClock clock) =>
        builder.WithShardRegion<SubscriptionRegion>("subscription",
            (_, _) => ServerEntityProps.Subscription(clock, settings),
            new SowerMessageExtractor(), new ShardOptions { StateStoreMode = StateStoreMode.DData, RememberEntities = false });

    public static AkkaConfigurationBuilder WithSowerDeployments(this AkkaConfigurationBuilder builder, ServerEntitySettings settings, IClock clock) =>
        builder.WithShardRegion<DeploymentRegion>("deployment",
            (_, registry) => ServerEntityProps.Deployment(registry, clock, settings),
            new SowerMessageExtractor(), Remembered());

    /// <summary>The read-model projector, with a short polling interval so listings follow writes closely.</summary>
    /// <remarks>Polling each tag every 1 s instead cut an empty idle server from 0.09 to 0.05 cores (issue 17,
    /// docs/benchmarks.md session 10), but a listing then lagged the entity's own answer by up to a second (an end-to-end
    /// test saw <c>deployment show</c> completed and <c>deployment list</c> still acknowledged): kept at 100 ms until the
    /// listings are SQL read models.</remarks>
    public static AkkaConfigurationBuilder WithSowerProjections(this AkkaConfigurationBuilder builder, ReadModelStore store, IClock clock) =>
        builder
            .AddHocon($$"""
                {{ReadJournalId}} {
                  refresh-interval = 100ms
                  journal-sequence-retrieval.query-delay = 100ms
                }
                """, HoconAddMode.Prepend)
            .WithActors((system, registry) =>
            {
                // A projector that throws is started again after a backoff (the default supervisor restarted it at once, forever).
                var projector = system.ActorOf(BackoffSupervisor.Props(Backoff.OnFailure(
                    Props.Create(() => new ReadModelProjector(store, clock, ReadJournalId, null)),
                    childName: "projector",
                    minBackoff: TimeSpan.FromSeconds(1),
                    maxBackoff: TimeSpan.FromSeconds(30),
                    randomFactor: 0.2,
                    maxNrOfRetries: -1)
                    // Whatever failed it (even a Kill, which the default decider would stop for good): start it again.
                    .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Restart))), "read-model-projector");
                registry.Register<ReadModelProjectorKey>(projector);
                system.ActorOf(GardenPresenceActor.Props(projector), GardenPresenceActor.Name);
            });
}
