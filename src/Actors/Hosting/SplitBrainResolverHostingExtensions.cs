using Akka.Hosting;
using Sower.Actors.Hosting.Membership;

namespace Sower.Actors.Hosting;

public static class SplitBrainResolverHostingExtensions
{
    /// <summary>Configures downing explicitly: Akka's split brain resolver with the strategy of
    /// <see cref="ClusterSettings.EffectiveSplitBrainResolver"/>, failure-detector and stability margins that survive CPU
    /// load (<see cref="ClusterSettings.HeartbeatPauseSeconds"/>, <see cref="ClusterSettings.StableAfterSeconds"/>), and for
    /// <c>lease-majority</c> a <see cref="PostgreSqlLease"/> in the shared database.</summary>
    /// <remarks>The lease's time to live is shorter than the time survivors need to notice a dead node and settle
    /// (heartbeat pause + stable-after), so a lease left by a node killed while holding it has always expired by the
    /// time the others must take it; a live holder renews it until <c>release-after</c>.</remarks>
    public static AkkaConfigurationBuilder WithSowerSplitBrainResolver(this AkkaConfigurationBuilder builder, ClusterSettings settings)
    {
        var strategy = settings.EffectiveSplitBrainResolver;
        var pause = settings.HeartbeatPauseSeconds;
        var stable = settings.StableAfterSeconds;
        var leaseTtl = Math.Max(4, stable + pause / 2);
        var hocon = $$"""
            akka.cluster {
              downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
              failure-detector {
                heartbeat-interval = 1s
                acceptable-heartbeat-pause = {{pause}}s
                threshold = 12.0
              }
              split-brain-resolver {
                active-strategy = {{Name(strategy)}}
                stable-after = {{stable}}s
                # Reachability flapping under load must not down everyone: give it three stable periods.
                down-all-when-unstable = {{stable * 3}}s
                keep-oldest.down-if-alone = on
                lease-majority {
                  lease-implementation = "{{PostgreSqlLease.ConfigPath}}"
                  lease-name = "sower-akka-sbr"
                  acquire-lease-delay-for-minority = 2s
                  release-after = {{stable * 2}}s
                }
              }
            }
            akka.remote.watch-failure-detector.acceptable-heartbeat-pause = {{pause}}s
            """;
        if (strategy == SplitBrainStrategy.LeaseMajority)
        {
            if (settings.Database is not { Provider: DatabaseProvider.PostgreSql } database)
                throw new InvalidOperationException("the lease-majority split brain resolver needs the PostgreSQL database");
            hocon += $$"""

                {{PostgreSqlLease.ConfigPath}} {
                  lease-class = "{{typeof(PostgreSqlLease).AssemblyQualifiedName}}"
                  heartbeat-timeout = {{leaseTtl}}s
                  heartbeat-interval = {{Math.Max(1, leaseTtl / 4)}}s
                  lease-operation-timeout = 5s
                  connection-string = {{Quote(database.ConnectionString)}}
                }
                """;
        }
        return builder.AddHocon(hocon, HoconAddMode.Prepend);
    }

    public static string Name(SplitBrainStrategy strategy) => strategy switch
    {
        SplitBrainStrategy.LeaseMajority => "lease-majority",
        SplitBrainStrategy.KeepMajority => "keep-majority",
        SplitBrainStrategy.KeepOldest => "keep-oldest",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    public static SplitBrainStrategy? Parse(string value) => value.ToLowerInvariant() switch
    {
        "lease-majority" => SplitBrainStrategy.LeaseMajority,
        "keep-majority" => SplitBrainStrategy.KeepMajority,
        "keep-oldest" => SplitBrainStrategy.KeepOldest,
        _ => null,
    };

    // A HOCON quoted string: backslashes and quotes escaped, so any connection string survives.
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
