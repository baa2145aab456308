using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Pattern;
using Sower.Actors.Hosting;
using Sower.Messages.NixCaches;

namespace Sower.Actors.Server.NixCaches;

public static class NixCachesHostingExtensions
{
    /// <summary>Registers the Nix cache serializer and starts <see cref="NixCachesActor"/> as a cluster singleton (one
    /// registry per organization), behind a backoff supervisor; the proxy is registered under <see cref="NixCachesActorKey"/>.</summary>
    public static AkkaConfigurationBuilder WithNixCaches(this AkkaConfigurationBuilder builder) =>
        builder
            .WithNixCacheSerializer()
            .WithSingleton<NixCachesActorKey>(
                "nix-caches",
                (_, _, resolver) => BackoffSupervisor.Props(Backoff.OnStop(
                    resolver.Props<NixCachesActor>(),
                    childName: NixCachesActor.Id,
                    minBackoff: TimeSpan.FromSeconds(1),
                    maxBackoff: TimeSpan.FromSeconds(30),
                    randomFactor: 0.2,
                    maxNrOfRetries: -1)),
                SingletonProxyOptions.Quiet,
                createProxyToo: true);

    /// <summary>Binds every <see cref="INixCacheMessage"/> to <see cref="NixCacheSerializer"/>.</summary>
    public static AkkaConfigurationBuilder WithNixCacheSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(NixCacheSerializer.Name, [typeof(INixCacheMessage)], system => new NixCacheSerializer(system));
}
