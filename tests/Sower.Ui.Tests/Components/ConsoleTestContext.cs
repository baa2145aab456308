using System.Collections.Immutable;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Server.Projections;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;
using Sower.Server.Configuration;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

/// <summary>A read model fed with real domain events, raising the change notifications the projector raises.</summary>
public sealed class FakeReadModel : IConsoleReadModel
{
    public ServerReadModel Current { get; private set; } = ServerReadModel.Empty;

    public event Action<ReadModelChanged>? Changed;

    public void Apply(params object[] events)
    {
        foreach (var e in events)
        {
            Current = Current.Apply(e, Instant.MinValue);
            var change = e switch
            {
                SeedEvents.ISeedEvent s => new ReadModelChanged(SowerEventTagger.SeedTag, s.SeedId.Value),
                GardenEvents.IGardenEvent g => new ReadModelChanged(SowerEventTagger.GardenTag, g.GardenId.Value),
                DeploymentEvents.IDeploymentEvent d => new ReadModelChanged(SowerEventTagger.DeploymentTag, d.DeploymentId.Value),
                _ => throw new ArgumentException("not a read-model event: " + e),
            };
            Changed?.Invoke(change);
        }
    }
}

/// <summary>bUnit context with the console's services: a fake read model, a fixed clock, bUnit's authorization double.</summary>
public abstract class ConsoleTestContext : BunitContext
{
    public static readonly Instant Now = Instant.FromUtc(2026, 3, 4, 10, 0); // a Wednesday

    protected ConsoleTestContext()
    {
        Services.AddSingleton<IConsoleReadModel>(Model);
        Services.AddSingleton<IClock>(new FakeClock(Now));
        Services.AddSingleton(new ServerOptions());
        Services.AddScoped<ConsoleActions>();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Auth = AddAuthorization();
        Auth.SetAuthorized("tester");
        Grant();
    }

    /// <summary>The read roles every page needs, plus <paramref name="more"/> (bUnit's policy double answers by name).</summary>
    protected void Grant(params string[] more) =>
        Auth.SetPolicies([Sower.Messages.Tokens.Roles.GardenRead, Sower.Messages.Tokens.Roles.SeedRead, Sower.Messages.Tokens.Roles.DeploymentRead, .. more]);

    protected FakeReadModel Model { get; } = new();
    protected BunitAuthorizationContext Auth { get; }

    /// <summary>Renders a page inside the browser-zone cascade the router provides.</summary>
    protected IRenderedComponent<TComponent> RenderPage<TComponent>(BrowserZone zone, Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : IComponent
    {
        var host = Render<CascadingValue<BrowserZone>>(p => p.Add(c => c.Value, zone).AddChildContent<TComponent>(parameters ?? (_ => { })));
        return host.FindComponent<TComponent>();
    }

    // ─── Events for a small fleet ───

    protected static GardenId Garden(FakeReadModel model, string name, out SubscriptionRecord subscription, Policy? policy = null)
    {
        var gid = GardenId.New();
        subscription = new SubscriptionRecord(SubscriptionId.New(), gid,
            new SubscriptionSpec("system", name, SeedType.NixOS, [], null, "Etc/UTC", policy ?? Policy.Default), Now);
        model.Apply(new GardenEvents.GardenRegistered(gid, name, "host-" + name, "admin", Now),
            new GardenEvents.GardenSubscriptionsSynced(gid, [subscription], [], Now));
        return gid;
    }

    protected static SeedInfo Seed(FakeReadModel model, string name, Instant? recency = null)
    {
        var artifact = $"/nix/store/{new string('a', 32)}-nixos-system-{name}-{Guid.NewGuid():N}";
        var seed = new SeedInfo(SeedIdentity.For(SeedType.NixOS, artifact), name, SeedType.NixOS, artifact, [new Tag("git_branch", "main")],
            recency ?? Now, recency ?? Now, false, "admin");
        model.Apply(new SeedEvents.SeedRegistered(seed.Sid, seed, true));
        return seed;
    }

    protected static DeploymentRecord Deployment(FakeReadModel model, GardenId garden, SubscriptionRecord sub, SeedInfo seed, bool awaiting = false,
        DeploymentId? parent = null, Instant? at = null)
    {
        var record = DeploymentPlanner.NewRecord(DeploymentId.New(), garden, RequestId.New(), Trigger.Realtime, AuditReason.RealtimeTriggered, Actor.Token(new TokenId("adminsidabcdefghijklmnop"), "admin laptop"),
            ContentHash.Of([seed.Sid]), at ?? Now, awaiting, awaiting ? ["careful"] : ImmutableArray<string>.Empty,
            [new PlannedSeed(sub.Sid, sub.Spec.Name, PolicyAction.Activate, seed)], parent, parent is null ? 0 : 1);
        model.Apply(new DeploymentEvents.DeploymentCreated(record.Sid, record));
        return record;
    }
}
