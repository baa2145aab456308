using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Server;

namespace Sower.Actors.Tests.Server;

/// <summary>Sharding makes an entity's props for every entity it starts; making them must not compile code each time
/// (it did: one dynamic method per garden, deployment, seed and seed line, freed later by the finalizer thread).</summary>
public sealed class ServerEntityPropsTests
{
    public static TheoryData<string> Entities => ["seed", "seed-line", "garden", "subscription", "deployment"];

    private static Func<string, Props> Factory(string entity)
    {
        var registry = new ActorRegistry();
        var clock = SystemClock.Instance;
        var settings = new ServerEntitySettings();
        return entity switch
        {
            "seed" => ServerEntityProps.Seed(registry, clock, settings),
            "seed-line" => ServerEntityProps.SeedLine(registry, clock, settings),
            "garden" => ServerEntityProps.Garden(registry, clock, settings),
            "subscription" => ServerEntityProps.Subscription(clock, settings),
            "deployment" => ServerEntityProps.Deployment(registry, clock, settings),
            _ => throw new ArgumentOutOfRangeException(nameof(entity)),
        };
    }

    [Theory]
    [MemberData(nameof(Entities))]
    public void Making_the_props_of_many_entities_compiles_no_code_per_entity(string entity)
    {
        var factory = Factory(entity);
        for (var i = 0; i < 5; i++) factory("warm-up-" + i);
        var before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        var props = Enumerable.Range(0, 200).Select(i => factory("entity-" + i)).ToList();
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;
        Assert.True(compiled < 20, $"{compiled} methods compiled while making the props of 200 {entity} entities");
        Assert.Equal("entity-199", props[^1].Arguments[0]);
    }
}
