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
    private readonly GardenHostSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> _subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _started = new(StringComparer.Ordinal);
    private GardenConfig _config;
    private GardenHostState _state = GardenHostState.Initial;
    private IActorRef _link = ActorRefs.Nobody;
    private IActorRef _deployer = ActorRefs.Nobody;
    private IActorRef _activator = ActorRefs.Nobody;
    private IActorRef _reporter = ActorRefs.Nobody;
    private IActorRef _conditions = ActorRefs.Nobody;
    private IActorRef _gate = ActorRefs.Nobody;

    public GardenHostActor(GardenHostSettings settings)
    {
        _settings = settings;
        _config = settings.Config;

        Receive<GardenDaemonCommands.PushReceived>(OnPush);
        // The link already stored the synced list; every subscription re-reads it (and its scheduler is replaced if it changed).
        Receive<GardenDaemonCommands.SubscriptionsSynced>(_ =>
        {
            EnsureSubscriptionActors();
            foreach (var name in _subscriptions.Keys.ToList()) UpdateSubscription(name, processStart: false);
        });
        Receive<GardenDaemonCommands.SessionReady>(_ =>
        {
            var stored = settings.Store.Current.Subscriptions ?? [];
            _reporter.Tell(new GardenDaemonCommands.ReportProfiles(stored, settings.Version));
            _conditions.Tell(new HostConditionCommands.Check(Always: true));
            foreach (var actor in _subscriptions.Values) actor.Tell(new GardenDaemonCommands.PollOnConnect());
        });
        Receive<GardenDaemonCommands.ReportProfiles>(r => _reporter.Forward(r));
        Receive<GardenSubscriptionCommands.Started>(s =>
        {
            var processStart = _started.Add(s.Name);
            UpdateSubscription(s.Name, processStart);
        });
        Receive<GardenDaemonCommands.AdminDeploy>(OnAdminDeploy);
        Receive<GardenDaemonCommands.GetStatus>(_ => Sender.Tell(BuildStatus()));
        Receive<GardenDaemonCommands.RequestReload>(r =>
        {
            _state = _state.ReloadRequested();
            if (_state.Idle) RunReload(r.Source);
            else _log.Info("Reload requested ({Source}); deferred until {RunningDeployments} running deployment(s) finish", r.Source, _state.ActiveDeployments.Length);
        });
        Receive<GardenDaemonCommands.ApplyConfig>(a => Apply(a.Config));
        Receive<GardenDaemonEvents.DeployerActivity>(a =>
        {
            (_state, var status, var idleWork) = _state.DeployerActivity(a.ActiveDeployments);
            // Back to the connection's state once nothing is deploying.
            if (status is not null) Context.System.EventStream.Publish(new GardenDaemonEvents.StatusChanged(status));
            if (idleWork && CheckPackageReplaced()) return;
            if (idleWork && _state.ReloadPending) RunReload("deferred");
        });
        Receive<GardenDaemonEvents.ConnectionChanged>(c => _state = _state.ConnectionChanged(c.Connected));
        Receive<GardenDaemonEvents.StatusChanged>(s => _state = _state.StatusChanged(s.Text));
        Receive<DeployerEvents.SeedPending>(p => _state = _state.SeedPending(p.SubscriptionSid, p.SeedSid));
        Receive<DeployerEvents.SeedApplied>(p => _state = _state.SeedApplied(p.SubscriptionSid, p.SeedSid));
        Receive<GardenDaemonCommands.Drain>(_ =>
        {
            _state = _state.Drained();
            foreach (var actor in _subscriptions.Values) Context.Stop(actor); // no new scheduled work
            _subscriptions.Clear();
            _link.Tell(new GardenDaemonCommands.Drain());
            _deployer.Forward(new GardenDaemonCommands.Drain());
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
        _link = Context.ActorOf(ServerLinkActor.Props(_config, _settings.Gateway, _settings.Store, _settings.Version), "link");
        _activator = Context.ActorOf(ActivatorClientActor.Props(Routing(_config)), "activator");
        _reporter = Context.ActorOf(ProfileReporterActor.Props(_link, _config.Profiles, _config.UserName), "profiles");
        _conditions = Context.ActorOf(HostConditionActor.Props(HostConditionStore.For(_settings.Store), _settings.Store, _config.Profiles, _settings.Clock, _link), "host-condition");
        _gate = Context.ActorOf(ActivationGateActor.Props(_config.EffectiveInhibit, _link, _config.Profiles, _config.StateDirectory), "gate");
        _deployer = Context.ActorOf(DeployerActor.Props(_link, _activator, _settings.Store, _settings.Clock, SeedSettings(_config) with { Gate = _gate }, _config.Parallelism), "deployer");
        EnsureSubscriptionActors();
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private ActivatorRouting Routing(GardenConfig c) =>
        new(c.ActivatorSocket, c.ActivatorCommand, c.UserName, _settings.IsRoot, c.Timeouts.ActivatorConnect);

    private static SeedExecution.Settings SeedSettings(GardenConfig c) => new(c.Profiles, c.Timeouts, c.UserName, c.EffectiveLogStreamInterval, ConfirmTimeouts: c.ConfirmTimeouts, ConfirmTimeoutDefault: c.ConfirmTimeoutDefault);

    private IEnumerable<string> SubscriptionNames() =>
        _config.Subscriptions.Select(s => s.Name)
            .Concat((_settings.Store.Current.Subscriptions ?? []).Select(s => s.Spec.Name))
            .Distinct(StringComparer.Ordinal);

    private void EnsureSubscriptionActors()
    {
        if (_state.Draining) return;
        var names = SubscriptionNames().ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _subscriptions.Keys.Where(n => !names.Contains(n)).ToList())
        {
            Context.Stop(_subscriptions[gone]);
            _subscriptions.Remove(gone);
        }
        foreach (var name in names.Where(n => !_subscriptions.ContainsKey(n)))
        {
            _subscriptions[name] = Context.ActorOf(GardenSubscriptionActor.Props(name, _link, _settings.Clock, _settings.Store), "subscription-" + Uri.EscapeDataString(name));
        }
    }

    private void UpdateSubscription(string name, bool processStart)
    {
        if (!_subscriptions.TryGetValue(name, out var actor)) return;
        var configured = _config.Subscriptions.FirstOrDefault(s => s.Name == name);
        var synced = _settings.Store.Current.Subscriptions?.FirstOrDefault(s => s.Spec.Name == name);
        actor.Tell(new GardenSubscriptionCommands.Update(name, configured, synced, processStart));
        if (_state.Connected) actor.Tell(new GardenDaemonEvents.ConnectionChanged(true, null));
    }

    private void OnPush(GardenDaemonCommands.PushReceived push)
    {
        switch (push.Name)
        {
            case GatewayProtocol.PushDeployment:
                var parsed = GardenDeployment.Parse(push.Payload);
                if (parsed.Ok) _deployer.Tell(new GardenDaemonCommands.DeploymentPushed(parsed.Value!));
                else _log.Error("Ignoring a malformed deployment push: {Problems}", string.Join("; ", parsed.Problems));
                break;
            case GatewayProtocol.PushDeploymentError:
                var error = DeploymentErrors.Parse(push.Payload);
                _log.Warning("Deployment request {RequestId} failed on the server: {Reason}", error?.RequestId, error?.Reason);
                break;
            default:
                _log.Debug("Ignoring push {PushName}", push.Name);
                break;
        }
    }

    private void OnAdminDeploy(GardenDaemonCommands.AdminDeploy deploy)
    {
        var (target, refusal) = GardenHostState.AdminDeployTarget(deploy.Sid, deploy.SeedType, _settings.Store.Current.Subscriptions, _state.Connected);
        if (target is null) { Sender.Tell(new GardenDaemonCommands.AdminReply(false, refusal!)); return; }
        if (!_subscriptions.TryGetValue(target.Spec.Name, out var actor)) { Sender.Tell(new GardenDaemonCommands.AdminReply(false, AdminProtocol.SubscriptionNotFound)); return; }
        actor.Tell(new GardenSubscriptionCommands.Deploy(deploy.Force, Sender));
    }

    /// <summary>
    /// Called only when no deployment runs: if a switch has replaced the garden's package (<see cref="GardenHostSettings.PackageReplaced"/>),
    /// announce it once so the host exits cleanly and the service manager starts the new version. Every result is in the
    /// durable outbox by then, so nothing is lost.
    /// </summary>
    private bool CheckPackageReplaced()
    {
        if (_state.Replaced || _settings.PackageReplaced?.Invoke() is not { } reason) return _state.Replaced;
        _state = _state.PackageReplaced();
        _log.Info("Package replaced: {Reason}; exiting so the service manager starts the new version", reason);
        Context.System.EventStream.Publish(new GardenDaemonEvents.PackageReplaced(reason));
        return true;
    }

    private void RunReload(string source)
    {
        if (CheckPackageReplaced()) return;
        _state = _state.ReloadRan();
        var result = _settings.Reload();
        if (!result.Ok)
        {
            _log.Error("Reload ({Source}) failed, keeping the running configuration: {Problems}", source, GardenConfigLoader.FormatFailure(result.Problems));
            return;
        }
        _log.Info("Reload ({Source}): configuration re-read from {ConfigFile}", source, result.Config!.ConfigFile);
        Apply(result.Config);
    }

    private void Apply(GardenConfig next)
    {
        _config = next;
        _link.Tell(new GardenDaemonCommands.ApplyConfig(next)); // re-syncs when connected
        Context.System.EventStream.Publish(new GardenMetricsEvents.TextfileConfigured(next.MetricsTextfile));
        _gate.Tell(new ActivationGate.Configure(next.EffectiveInhibit));
        EnsureSubscriptionActors();
        foreach (var name in _subscriptions.Keys.ToList()) UpdateSubscription(name, processStart: false);
    }

    private GardenStatus BuildStatus()
    {
        var now = _settings.Clock.GetCurrentInstant();
        var stored = _settings.Store.Current.Subscriptions ?? [];
        var list = ImmutableArray.CreateBuilder<SubscriptionStatus>();
        foreach (var name in SubscriptionNames().Order(StringComparer.Ordinal))
        {
            var synced = stored.FirstOrDefault(s => s.Spec.Name == name);
            var spec = synced?.Spec ?? _config.Subscriptions.FirstOrDefault(s => s.Name == name);
            if (spec is null) continue;
            var zone = SeedAdmission.ZoneOf(spec);
            string? nextFire = null;
            if (synced is not null && spec.Schedule is { } expression && CronSchedule.TryParse(expression, out var schedule, out _) && schedule!.NextAfter(now, zone) is { } fire)
            {
                nextFire = NodaTime.Text.InstantPattern.ExtendedIso.Format(fire);
            }
            var explanation = PolicyExplainer.Explain(spec.Policy, null, spec.SeedType, zone, now);
            list.Add(new SubscriptionStatus(
                name, synced?.Sid, spec.SeedName, spec.SeedType.ToWire(), spec.Schedule, spec.Timezone, nextFire,
                explanation.NextChange is { } change ? NodaTime.Text.InstantPattern.ExtendedIso.Format(change) : null,
                synced is not null && _state.CurrentSeed.TryGetValue(synced.Sid, out var cur) ? cur : null,
                synced is not null && _state.PendingSeed.TryGetValue(synced.Sid, out var pend) ? pend : null));
        }
        return new GardenStatus(_settings.Version, _state.Connected, _settings.Store.Current.GardenSid, _state.StatusLine, _state.ActiveDeployments, list.ToImmutable());
    }
}
