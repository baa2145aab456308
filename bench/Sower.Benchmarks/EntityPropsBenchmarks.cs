using Akka.Actor;
using BenchmarkDotNet.Attributes;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Server;

namespace Sower.Benchmarks;

/// <summary>
/// What sharding pays to make one garden entity's props (issue 17): the form before (an argument written as
/// <c>new ShardRefs(registry)</c>, which Akka compiles into a dynamic method per entity) against
/// <see cref="ServerEntityProps"/> (captured variables only, read by reflection), in the same run. The finalizer thread's
/// later work of freeing each dynamic method is not in these figures.
/// </summary>
[MemoryDiagnoser]
public class EntityPropsBenchmarks
{
    private readonly ActorRegistry _registry = new();
    private readonly IClock _clock = SystemClock.Instance;
    private readonly ServerEntitySettings _settings = new();
    private Func<string, Props> _garden = null!;

    [GlobalSetup]
    public void Setup() => _garden = ServerEntityProps.Garden(_registry, _clock, _settings);

    [Benchmark(Baseline = true)]
    public Props CapturedVariables() => _garden("gdn_aaaaaaaaaaaaaaaaaaaaaaaa");

    [Benchmark]
    public Props CompiledPerEntity()
    {
        var (id, clock, registry, settings) = ("gdn_aaaaaaaaaaaaaaaaaaaaaaaa", _clock, _registry, _settings);
        return Props.Create(() => new GardenActor(id, clock, new ShardRefs(registry), settings));
    }
}
