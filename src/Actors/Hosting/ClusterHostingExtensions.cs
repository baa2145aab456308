using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;

namespace Sower.Actors.Hosting;

public static class ClusterHostingExtensions
{
    /// <summary>Health-check tags: <c>/healthz/live</c> includes <see cref="LiveTag"/>, <c>/healthz/ready</c> <see cref="ReadyTag"/>.</summary>
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>Remoting (loopback by default) and clustering. With no seed nodes the node joins itself and is a
    /// one-node cluster; with seed nodes it joins them. Adds the actor-system liveness and cluster readiness checks
    /// (ready once this node is Up).</summary>
    public static AkkaConfigurationBuilder WithSowerCluster(this AkkaConfigurationBuilder builder, ClusterSettings settings)
    {
        builder
            .WithRemoting(new RemoteOptions
            {
                HostName = settings.Hostname,
                Port = settings.Port,
                PublicHostName = settings.PublicHostname,
            })
            .WithClustering(new ClusterOptions
            {
                Roles = [.. settings.Roles],
                // On PostgreSQL the database, not a seed list, says whom to join (ClusterFormationGuard).
                SeedNodes = settings.Database?.Provider == DatabaseProvider.PostgreSql ? [] : [.. settings.SeedNodes],
            })
            .WithSowerSplitBrainResolver(settings)
            .WithActorSystemLivenessCheck(tags: [LiveTag])
            .WithAkkaClusterReadinessCheck(tags: [ReadyTag]);

        if (settings.Database is { Provider: DatabaseProvider.PostgreSql } database)
        {
            builder.AddStartup((system, _) => Membership.ClusterFormationGuard.Start(system, settings, database));
        }
        else if (settings.SeedNodes.Count == 0)
        {
            builder.AddStartup((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }
        return builder;
    }
}
