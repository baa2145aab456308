using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Sower.Messages.Deployments;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Actors.Server;

// Registry keys of the shard regions (WithShardRegion<TKey> registers each region under its key).
public sealed class SeedRegion;
public sealed class SeedLineRegion;
public sealed class GardenRegion;
public sealed class DeploymentRegion;
public sealed class SubscriptionRegion;

/// <summary>
/// One extractor for every Sower entity: the entity id comes from the id interface the message carries. The shard count
/// is fixed for the lifetime of a cluster (about ten times the largest expected node count).
/// </summary>
public sealed class SowerMessageExtractor() : HashCodeMessageExtractor(ShardCount)
{
    public const int ShardCount = 50;

    public override string? EntityId(object message) => message switch
    {
        IWithSeedId s => s.SeedId.Value,
        IWithSeedLineKey l => l.Line.EntityId,
        IWithGardenId g => g.GardenId.Value,
        IWithDeploymentId d => d.DeploymentId.Value,
        IWithSubscriptionId s => s.SubscriptionId.Value,
        _ => null,
    };
}

/// <summary>The regions an entity talks to, resolved lazily from the registry (all regions exist before any entity starts).</summary>
public sealed class ShardRefs(IActorRegistry registry)
{
    public IActorRef Seeds => registry.Get<SeedRegion>();
    public IActorRef SeedLines => registry.Get<SeedLineRegion>();
    public IActorRef Gardens => registry.Get<GardenRegion>();
    public IActorRef Deployments => registry.Get<DeploymentRegion>();
    public IActorRef Subscriptions => registry.Get<SubscriptionRegion>();
}
