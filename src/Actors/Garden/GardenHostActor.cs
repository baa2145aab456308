using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>What the host actor needs from outside the actor system.</summary>
public sealed record GardenHostSettings(
    GardenConfig Config,
    IGardenGateway Gateway,
    GardenStateStore Store,
    IClock Clock,
    string Version,
    Func<ConfigLoadResult> Reload,
    bool IsRoot,
    Func<string?>? PackageReplaced = null);

/// <summary>
/// The root of the garden (ARCHITECTURE §5): supervises the link, one GardenSubscriptionActor per subscription, the deployer, the
/// activator client and the profile reporter (a failing child is restarted alone), routes pushes, and applies reloads — at
/// once when idle, otherwise right after the last running deployment (never dropped).
/// </summary>
public sealed class GardenHostActor : ReceiveActor
{
    private readonly GardenHostSettings settings;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<string> started = new(StringComparer.Ordinal);
    private GardenConfig config;
    private GardenHostState state = GardenHostState.Initial;
    private IActorRef link = ActorRefs.Nobody;
    private IActorRef deployer = ActorRefs.Nobody;
    private IActorRef activator = ActorRefs.Nobody;
    private IActorRef reporter = ActorRefs.Nobody;
    private IActorRef conditions = ActorRefs.Nobody;
    private IActorRef gate = ActorRefs.Nobody;

    public GardenHostActor(GardenHostSettings settings)
    {
        this.settings = settings;
        config = settings.Config;

        Receive<GardenDaemonCommands.PushReceived>(OnPush);
        // The link already stored the synced list; every subscription re-reads it (and its scheduler is replaced if it changed).
        Receive<GardenDaemonCommands.SubscriptionsSynced>(_ =>
        {
            EnsureSubscriptionActors();
            foreach (var name in subscriptions.Keys.ToList()) UpdateSubscription(name, processStart: false);
        });
        Receive<GardenDaemonCommands.SessionReady>(_ =>
        {
            var stored = settings.Store.Current.Subscriptions ?? [];
            reporter.Tell(new GardenDaemonCommands.ReportProfiles(stored, settings.Version));
            conditions.Tell(new HostConditionCommands.Check(Always: true));
            foreach (var actor in subscriptions.Values) actor.Tell(new GardenDaemonCommands.PollOnConnect());
        });
        Receive<GardenDaemonCommands.ReportProfiles>(r => reporter.Forward(r));
        Receive<GardenSubscriptionCommands.Started>(s =>
        {
            var processStart = started.Add(s.Name);
            UpdateSubscription(s.Name, processStart);
        });
        Receive<GardenDaemonCommands.AdminDeploy>(OnAdminDeploy);
        Receive<GardenDaemonCommands.GetStatus>(_ => Sender.Tell(BuildStatus()));
        Receive<GardenDaemonCommands.RequestReload>(r =>
        {
            state = state.ReloadRequested();
            if (state.Idle) RunReload(r.Source);
            else log.Info("Reload requested ({Source}); deferred until {RunningDeployments} running deployment(s) finish", r.Source, state.ActiveDeployments.Length);
        });
        Receive<GardenDaemonCommands.ApplyConfig>(a => Apply(a.Config));
        Receive<GardenDaemonEvents.DeployerActivity>(a =>
        {
            (state, var status, var idleWork) = state.DeployerActivity(a.ActiveDeployments);
            // Back to the connection's state once nothing is deploying.
            if (status is not null) Context.System.EventStream.Publish(new GardenDaemonEvents.StatusChanged(status));
            if (idleWork && CheckPackageReplaced()) return;
            if (idleWork && state.ReloadPending) RunReload("deferred");
        });
        Receive<GardenDaemonEvents.ConnectionChanged>(c => state = state.ConnectionChanged(c.Connected));
        Receive<GardenDaemonEvents.StatusChanged>(s => state = state.StatusChanged(s.Text));
        Receive<DeployerEvents.SeedPending>(p => state = state.SeedPending(p.SubscriptionSid, p.SeedSid));
        Receive<DeployerEvents.SeedApplied>(p => state = state.SeedApplied(p.SubscriptionSid, p.SeedSid));
        Receive<GardenDaemonCommands.Drain>(_ =>
        {
            state = state.Drained();
            foreach (var actor in subscriptions.Values) Context.Stop(actor); // no new scheduled work
            subscriptions.Clear();
            link.Tell(new GardenDaemonCommands.Drain());
            deployer.Forward(new GardenDaemonCommands.Drain());
        });
    }

    public static Props Props(GardenHostSettings settings) => Akka.Actor.Props.Create(() => new GardenHostActor(settings));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: 10, withinTimeRange: TimeSpan.FromMinutes(1), localOnlyDecider: _ => Directive.Restart);

    protected override void PreStart()
    {
        var events = Context.System.EventStream;
        foreach (var type in new[] { typeof(GardenDaemonEvents.DeployerActivity), typeof(GardenDaemonEvents.ConnectionChanged), typeof(GardenDaemonEvents.StatusChanged), typeof(DeployerEvents.SeedPending), typeof(DeployerEvents.SeedApplied) })
        {
            events.Subscribe(Self, type);
        }
        link = Context.ActorOf(ServerLinkActor.Props(config, settings.Gateway, settings.Store, settings.Version), "link");
        activator = Context.ActorOf(ActivatorClientActor.Props(Routing(config)), "activator");
        reporter = Context.ActorOf(ProfileReporterActor.Props(link, config.Profiles, config.UserName), "profiles");
        conditions = Context.ActorOf(HostConditionActor.Props(HostConditionStore.For(settings.Store), settings.Store, config.Profiles, settings.Clock, link), "host-condition");
        gate = Context.ActorOf(ActivationGateActor.Props(config.EffectiveInhibit, link, config.Profiles, config.StateDirectory), "gate");
        deployer = Context.ActorOf(DeployerActor.Props(link, activator, settings.Store, settings.Clock, SeedSettings(config) with { Gate = gate }, config.Parallelism), "deployer");
        EnsureSubscriptionActors();
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private ActivatorRouting Routing(GardenConfig c) =>
        new(c.ActivatorSocket, c.ActivatorCommand, c.UserName, settings.IsRoot, c.Timeouts.ActivatorConnect);

    private static SeedExecution.Settings SeedSettings(GardenConfig c) => new(c.Profiles, c.Timeouts, c.UserName, c.EffectiveLogStreamInterval, ConfirmTimeouts: c.ConfirmTimeouts, ConfirmTimeoutDefault: c.ConfirmTimeoutDefault);

    private IEnumerable<string> SubscriptionNames() =>
        config.Subscriptions.Select(s => s.Name)
            .Concat((settings.Store.Current.Subscriptions ?? []).Select(s => s.Spec.Name))
            .Distinct(StringComparer.Ordinal);

    private void EnsureSubscriptionActors()
    {
        if (state.Draining) return;
        var names = SubscriptionNames().ToHashSet(StringComparer.Ordinal);
        foreach (var gone in subscriptions.Keys.Where(n => !names.Contains(n)).ToList())
        {
            Context.Stop(subscriptions[gone]);
            subscriptions.Remove(gone);
        }
        foreach (var name in names.Where(n => !subscriptions.ContainsKey(n)))
        {
            subscriptions[name] = Context.ActorOf(GardenSubscriptionActor.Props(name, link, settings.Clock, settings.Store), "subscription-" + Uri.EscapeDataString(name));
        }
    }

    private void UpdateSubscription(string name, bool processStart)
    {
        if (!subscriptions.TryGetValue(name, out var actor)) return;
        var configured = config.Subscriptions.FirstOrDefault(s => s.Name == name);
        var synced = settings.Store.Current.Subscriptions?.FirstOrDefault(s => s.Spec.Name == name);
        actor.Tell(new GardenSubscriptionCommands.Update(name, configured, synced, processStart));
        if (state.Connected) actor.Tell(new GardenDaemonEvents.ConnectionChanged(true, null));
    }

    private void OnPush(GardenDaemonCommands.PushReceived push)
    {
        switch (push.Name)
        {
            case GatewayProtocol.PushDeployment:
                var parsed = GardenDeployment.Parse(push.Payload);
                if (parsed.Ok) deployer.Tell(new GardenDaemonCommands.DeploymentPushed(parsed.Value!));
                else log.Error("Ignoring a malformed deployment push: {Problems}", string.Join("; ", parsed.Problems));
                break;
            case GatewayProtocol.PushDeploymentError:
                var error = DeploymentErrors.Parse(push.Payload);
                log.Warning("Deployment request {RequestId} failed on the server: {Reason}", error?.RequestId, error?.Reason);
                break;
            default:
                log.Debug("Ignoring push {PushName}", push.Name);
                break;
        }
    }

    private void OnAdminDeploy(GardenDaemonCommands.AdminDeploy deploy)
    {
        var (target, refusal) = GardenHostState.AdminDeployTarget(deploy.Sid, deploy.SeedType, settings.Store.Current.Subscriptions, state.Connected);
        if (target is null) { Sender.Tell(new GardenDaemonCommands.AdminReply(false, refusal!)); return; }
        if (!subscriptions.TryGetValue(target.Spec.Name, out var actor)) { Sender.Tell(new GardenDaemonCommands.AdminReply(false, AdminProtocol.SubscriptionNotFound)); return; }
        actor.Tell(new GardenSubscriptionCommands.Deploy(deploy.Force, Sender));
    }

    /// <summary>
    /// Called only when no deployment runs: if a switch has replaced the garden's package (<see cref="GardenHostSettings.PackageReplaced"/>),
    /// announce it once so the host exits cleanly and the service manager starts the new version. Every result is in the
    /// durable outbox by then, so nothing is lost.
    /// </summary>
    private bool CheckPackageReplaced()
    {
        if (state.Replaced || settings.PackageReplaced?.Invoke() is not { } reason) return state.Replaced;
        state = state.PackageReplaced();
        log.Info("Package replaced: {Reason}; exiting so the service manager starts the new version", reason);
        Context.System.EventStream.Publish(new GardenDaemonEvents.PackageReplaced(reason));
        return true;
    }

    private void RunReload(string source)
    {
        if (CheckPackageReplaced()) return;
        state = state.ReloadRan();
        var result = settings.Reload();
        if (!result.Ok)
        {
            log.Error("Reload ({Source}) failed, keeping the running configuration: {Problems}", source, GardenConfigLoader.FormatFailure(result.Problems));
            return;
        }
        log.Info("Reload ({Source}): configuration re-read from {ConfigFile}", source, result.Config!.ConfigFile);
        Apply(result.Config);
    }

    private void Apply(GardenConfig next)
    {
        config = next;
        link.Tell(new GardenDaemonCommands.ApplyConfig(next)); // re-syncs when connected
        Context.System.EventStream.Publish(new GardenMetricsEvents.TextfileConfigured(next.MetricsTextfile));
        gate.Tell(new ActivationGate.Configure(next.EffectiveInhibit));
        EnsureSubscriptionActors();
        foreach (var name in subscriptions.Keys.ToList()) UpdateSubscription(name, processStart: false);
    }

    private GardenStatus BuildStatus()
    {
        var now = settings.Clock.GetCurrentInstant();
        var stored = settings.Store.Current.Subscriptions ?? [];
        var list = ImmutableArray.CreateBuilder<SubscriptionStatus>();
        foreach (var name in SubscriptionNames().Order(StringComparer.Ordinal))
        {
            var synced = stored.FirstOrDefault(s => s.Spec.Name == name);
            var spec = synced?.Spec ?? config.Subscriptions.FirstOrDefault(s => s.Name == name);
            if (spec is null) continue;
            var zone = GardenSubscriptionActor.ZoneOf(spec);
            string? nextFire = null;
            if (synced is not null && spec.Schedule is { } expression && CronSchedule.TryParse(expression, out var schedule, out _) && schedule!.NextAfter(now, zone) is { } fire)
            {
                nextFire = NodaTime.Text.InstantPattern.ExtendedIso.Format(fire);
            }
            var explanation = PolicyExplainer.Explain(spec.Policy, null, spec.SeedType, zone, now);
            list.Add(new SubscriptionStatus(
                name, synced?.Sid, spec.SeedName, spec.SeedType.ToWire(), spec.Schedule, spec.Timezone, nextFire,
                explanation.NextChange is { } change ? NodaTime.Text.InstantPattern.ExtendedIso.Format(change) : null,
                synced is not null && state.CurrentSeed.TryGetValue(synced.Sid, out var cur) ? cur : null,
                synced is not null && state.PendingSeed.TryGetValue(synced.Sid, out var pend) ? pend : null));
        }
        return new GardenStatus(settings.Version, state.Connected, settings.Store.Current.GardenSid, state.StatusLine, state.ActiveDeployments, list.ToImmutable());
    }
}
