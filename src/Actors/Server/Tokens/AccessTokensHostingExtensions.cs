using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Pattern;
using Sower.Actors.Hosting;
using Sower.Messages.Tokens;

namespace Sower.Actors.Server.Tokens;

public static class AccessTokensHostingExtensions
{
    /// <summary>Registers the token serializer and starts <see cref="AccessTokensActor"/> as a cluster singleton (one
    /// store per cluster, so two nodes never write the same persistence id), behind a backoff supervisor so a
    /// struggling journal is retried rather than hammered. The proxy is registered under <see cref="AccessTokensActorKey"/>.
    /// The actor takes <c>NodaTime.IClock</c> and <see cref="AccessTokenCache"/> from DI when registered. Every node also
    /// runs a <see cref="CredentialRevocationSubscriber"/> (DistributedPubSub), which invalidates its cache and calls the
    /// <see cref="ICredentialRevocationHandler"/>s registered in DI when a credential is revoked or regenerated.</summary>
    public static AkkaConfigurationBuilder WithAccessTokens(this AkkaConfigurationBuilder builder, AccessTokensSettings? settings = null)
    {
        var effective = settings ?? AccessTokensSettings.Default;
        return builder
            .WithAccessTokenSerializer()
            .WithDistributedPubSub("")
            .WithActors((system, _, resolver) =>
                system.ActorOf(resolver.Props<CredentialRevocationSubscriber>(), CredentialRevocationSubscriber.Name))
            .WithSingleton<AccessTokensActorKey>(
                "access-tokens",
                (_, _, resolver) => BackoffSupervisor.Props(Backoff.OnStop(
                    resolver.Props<AccessTokensActor>(effective),
                    childName: AccessTokensActor.Id,
                    minBackoff: TimeSpan.FromSeconds(1),
                    maxBackoff: TimeSpan.FromSeconds(30),
                    randomFactor: 0.2,
                    maxNrOfRetries: -1)),
                SingletonProxyOptions.Quiet,
                createProxyToo: true);
    }

    /// <summary>Starts this node's <see cref="AccessTokenReplicaActor"/> feeding the <see cref="AccessTokenView"/> registered
    /// in DI (nothing when none is registered), reading the journal through <paramref name="readJournalId"/>.</summary>
    public static AkkaConfigurationBuilder WithAccessTokenReplica(this AkkaConfigurationBuilder builder, string readJournalId) =>
        builder.WithActors((system, _, resolver) =>
        {
            if (resolver.GetService<AccessTokenView>() is { } view)
                system.ActorOf(Props.Create(() => new AccessTokenReplicaActor(view, readJournalId)), AccessTokenReplicaActor.Name);
        });

    /// <summary>Binds every <see cref="ITokenMessage"/> to <see cref="AccessTokenSerializer"/>.</summary>
    public static AkkaConfigurationBuilder WithAccessTokenSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(AccessTokenSerializer.Name, [typeof(ITokenMessage)], system => new AccessTokenSerializer(system));
}
