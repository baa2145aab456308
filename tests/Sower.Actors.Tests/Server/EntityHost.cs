using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.RebootLocks;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;

namespace Sower.Actors.Tests.Server;

/// <summary>
/// The server's actor side exactly as the host composes it (WithSowerPersistence with the event tagger, WithSowerCluster,
/// WithSowerServerEntities, strict serialization) on a real database, without HTTP.
/// </summary>
public sealed class EntityHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly IHost _host;

    private EntityHost(IHost host, ReadModelStore store)
    {
        _host = host;
        ReadModel = store;
        System = host.Services.GetRequiredService<ActorSystem>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Seeds = registry.Get<SeedRegion>();
        SeedLines = registry.Get<SeedLineRegion>();
        Gardens = registry.Get<GardenRegion>();
        Deployments = registry.Get<DeploymentRegion>();
        Subscriptions = registry.Get<SubscriptionRegion>();
        RebootLocks = registry.Get<RebootLocksActorKey>();
    }

    /// <summary>The reboot lease table's singleton proxy.</summary>
    public IActorRef RebootLocks { get; }

    public ActorSystem System { get; }
    public ReadModelStore ReadModel { get; }
    public IActorRef Seeds { get; }
    public IActorRef SeedLines { get; }
    public IActorRef Gardens { get; }
    public IActorRef Deployments { get; }
    public IActorRef Subscriptions { get; }

    public static async Task<EntityHost> StartAsync(PersistenceSettings persistence, IClock clock, ServerEntitySettings? settings = null,
        ClusterSettings? cluster = null)
    {
        var store = new ReadModelStore();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, _) => akka
            .WithSowerPersistence(persistence, ServerEntitiesHostingExtensions.AddSowerEventTagger)
            .WithSowerCluster(cluster ?? new ClusterSettings())
            .WithSowerServerEntities(settings ?? new ServerEntitySettings(), clock, store)
            .WithRebootLocks(clock, Sower.Messages.RebootLocks.RebootLockSettings.Default)
            .WithStrictSerialization());
        var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var deadline = DateTime.UtcNow + Timeout;
        while (Akka.Cluster.Cluster.Get(system).SelfMember.Status != Akka.Cluster.MemberStatus.Up)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the node did not become Up");
            await Task.Delay(50);
        }
        return new EntityHost(host, store);
    }

    public async Task<T> Ask<T>(IActorRef region, object message)
    {
        var reply = await region.Ask<object>(message, Timeout);
        return Assert.IsType<T>(reply);
    }

    /// <summary>Polls the read model until the condition holds (projections are eventually consistent).</summary>
    public async Task<ServerReadModel> ReadModelWhere(Func<ServerReadModel, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(ReadModel.Current)) return ReadModel.Current;
            await Task.Delay(50);
        }
        throw new TimeoutException("read model never showed " + what);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
