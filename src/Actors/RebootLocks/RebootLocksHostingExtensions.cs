using Sower.Actors.Hosting;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Pattern;
using NodaTime;
using Sower.Messages.RebootLocks;

namespace Sower.Actors.RebootLocks;

public static class RebootLocksHostingExtensions
{
    /// <summary>Registers the reboot lock serializer and starts <see cref="RebootLocksActor"/> as a cluster singleton (one
    /// lease table per organization; it moves to another node on failover and recovers its events there), behind a
    /// backoff supervisor; the proxy is registered under <see cref="RebootLocksActorKey"/>.</summary>
    public static AkkaConfigurationBuilder WithRebootLocks(this AkkaConfigurationBuilder builder, IClock clock, RebootLockSettings settings) =>
        builder
            .WithRebootLockSerializer()
            .WithSingleton<RebootLocksActorKey>(
                "reboot-locks",
                (_, _, _) => BackoffSupervisor.Props(Backoff.OnStop(
                    RebootLocksActor.Props(clock, settings),
                    childName: RebootLocksActor.Id,
                    minBackoff: TimeSpan.FromSeconds(1),
                    maxBackoff: TimeSpan.FromSeconds(30),
                    randomFactor: 0.2,
                    maxNrOfRetries: -1)),
                SingletonProxyOptions.Quiet,
                createProxyToo: true);

    /// <summary>Binds every <see cref="IRebootLockMessage"/> to <see cref="RebootLockSerializer"/>.</summary>
    public static AkkaConfigurationBuilder WithRebootLockSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(RebootLockSerializer.Name, [typeof(IRebootLockMessage)], system => new RebootLockSerializer(system));
}
