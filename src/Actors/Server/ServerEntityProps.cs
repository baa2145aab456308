using Akka.Actor;
using Akka.Hosting;
using NodaTime;

namespace Sower.Actors.Server;

/// <summary>
/// The props of each server entity, made by sharding for every entity it starts. Akka's <c>Props.Create(() => new T(…))</c>
/// reads an argument that is a captured variable by reflection but compiles any other expression (a <c>new</c>, a call)
/// into a fresh dynamic method, once per entity (64 µs against 0.43 µs, docs/benchmarks.md): 10,000 gardens connecting
/// meant 10,000 compilations, each later finalized. So every argument here is a captured variable, and each region's
/// <see cref="ShardRefs"/> is made once.
/// </summary>
public static class ServerEntityProps
{
    public static Func<string, Props> Seed(IActorRegistry registry, IClock clock, ServerEntitySettings settings)
    {
        var refs = new ShardRefs(registry);
        return id => Props.Create(() => new SeedActor(id, clock, refs, settings));
    }

    public static Func<string, Props> SeedLine(IActorRegistry registry, IClock clock, ServerEntitySettings settings)
    {
        var refs = new ShardRefs(registry);
        return id => Props.Create(() => new SeedLineActor(id, refs, settings, clock));
    }

    public static Func<string, Props> Garden(IActorRegistry registry, IClock clock, ServerEntitySettings settings)
    {
        var refs = new ShardRefs(registry);
        return id => Props.Create(() => new GardenActor(id, clock, refs, settings));
    }

    public static Func<string, Props> Subscription(IClock clock, ServerEntitySettings settings) =>
        id => Props.Create(() => new SubscriptionActor(id, clock, settings));

    public static Func<string, Props> Deployment(IActorRegistry registry, IClock clock, ServerEntitySettings settings)
    {
        var refs = new ShardRefs(registry);
        return id => Props.Create(() => new DeploymentActor(id, clock, refs, settings));
    }
}
