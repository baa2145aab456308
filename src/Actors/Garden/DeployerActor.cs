using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>
/// Receives deployment pushes (REFERENCE §5.10) and runs one <see cref="GardenDeploymentActor"/> per deployment. It remembers which
/// deployments are active and which completed in the last 2 hours (persisted, so a replay after a restart is not run again),
/// and serializes activations of the same profile (pitfall 43).
/// </summary>
public sealed class DeployerActor : ReceivePersistentActor
{
    public const string PersistenceIdValue = "garden-deployer";
    public static readonly Duration CompletedMemory = Duration.FromHours(2);

    private readonly IActorRef _link;
    private readonly IActorRef _activator;
    private readonly GardenStateStore _store;
    private readonly IClock _clock;
    private readonly SeedExecution.Settings _settings;
    private readonly int _parallelism;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, string> _activePushes = new();
    private readonly Dictionary<string, IActorRef> _active = new();
    private readonly Dictionary<string, GardenJournalEvents.DeploymentFinished> _completed = new();
    private readonly Dictionary<string, IActorRef> _lockHolder = new();
    private readonly Dictionary<string, Queue<IActorRef>> _lockQueue = new();
    private IActorRef? _drainRequester;
    private bool _draining;

    public DeployerActor(IActorRef link, IActorRef activator, GardenStateStore store, IClock clock, SeedExecution.Settings settings, int parallelism)
    {
        _link = link;
        _activator = activator;
        _store = store;
        _clock = clock;
        _settings = settings;
        _parallelism = parallelism;

        Recover<GardenJournalEvents.DeploymentAccepted>(e => _activePushes[e.DeploymentSid] = e.PushJson);
        Recover<GardenJournalEvents.DeploymentFinished>(e => { _activePushes.Remove(e.DeploymentSid); _completed[e.DeploymentSid] = e; });
        Recover<RecoveryCompleted>(_ =>
        {
            foreach (var (sid, json) in _activePushes.ToList())
            {
                var parsed = GardenDeployment.Parse(JsonNode.Parse(json));
                if (parsed.Ok) StartChild(parsed.Value!);
                else _log.Error("Cannot resume deployment {DeploymentId}: {Problems}", sid, string.Join("; ", parsed.Problems));
            }
            PublishActivity();
        });

        Command<GardenDaemonCommands.DeploymentPushed>(p => OnPush(p.Push));
        Command<GardenDeploymentCommands.Finished>(OnFinished);
        Command<GardenDeploymentCommands.AcquireProfile>(OnAcquire);
        Command<GardenDeploymentCommands.ReleaseProfile>(r => Release(r.Key, Sender));
        Command<Terminated>(t =>
        {
            foreach (var key in _lockHolder.Where(kv => kv.Value.Equals(t.ActorRef)).Select(kv => kv.Key).ToList()) Release(key, t.ActorRef);
            var sid = _active.FirstOrDefault(kv => kv.Value.Equals(t.ActorRef)).Key;
            if (sid is not null && !_completed.ContainsKey(sid))
            {
                // A deployment child died without finishing (e.g. its journal failed): resume it from its journal.
                _active.Remove(sid);
                if (_activePushes.TryGetValue(sid, out var json) && GardenDeployment.Parse(JsonNode.Parse(json)) is { Ok: true } again && !_draining) StartChild(again.Value!);
                PublishActivity();
            }
        });
        Command<GardenDaemonCommands.Drain>(_ =>
        {
            _draining = true;
            _drainRequester = Sender;
            if (_active.Count == 0) Sender.Tell(new GardenDaemonCommands.Drained([]));
        });
        Command<GetActive>(_ => Sender.Tell(_active.Keys.Order(StringComparer.Ordinal).ToImmutableArray()));
    }

    public override string PersistenceId => PersistenceIdValue;

    public static Props Props(IActorRef link, IActorRef activator, GardenStateStore store, IClock clock, SeedExecution.Settings settings, int parallelism) =>
        Akka.Actor.Props.Create(() => new DeployerActor(link, activator, store, clock, settings, parallelism));

    public sealed class GetActive
    {
        public static readonly GetActive Instance = new();
        private GetActive() { }
    }

    private void OnPush(GardenDeployment push)
    {
        if (push.Skipped) { _log.Info("Deployment {DeploymentId} skipped by the server (request {RequestId})", push.Sid, push.RequestId); return; }
        if (_active.ContainsKey(push.Sid)) { _log.Info("Deployment {DeploymentId} is already running; ignoring the replay", push.Sid); return; }
        var now = _clock.GetCurrentInstant();
        if (_completed.TryGetValue(push.Sid, out var done) && now - Instant.FromUnixTimeMilliseconds(done.FinishedAtUnixMs) < CompletedMemory)
        {
            _log.Info("Deployment {DeploymentId} already completed ({Result}); re-sending its result", push.Sid, done.Result);
            _link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.DeploymentResult(done.RequestId, done.DeploymentSid, done.Result, done.DeployedAt)));
            return;
        }
        if (_draining) { _log.Info("Shutting down: deployment {DeploymentId} not started; the server replays it after the next connection", push.Sid); return; }
        var json = ToJson(push);
        Persist(new GardenJournalEvents.DeploymentAccepted(push.Sid, json, now.ToUnixTimeMilliseconds()), e =>
        {
            _activePushes[e.DeploymentSid] = e.PushJson;
            StartChild(push);
            PublishActivity();
        });
    }

    private void StartChild(GardenDeployment push)
    {
        var child = Context.ActorOf(GardenDeploymentActor.Props(push, _link, _activator, Self, _store, _clock, _settings, _parallelism), "deployment-" + push.Sid);
        Context.Watch(child);
        _active[push.Sid] = child;
        var first = push.Seeds.FirstOrDefault();
        Context.System.EventStream.Publish(new GardenDaemonEvents.StatusChanged(first is null
            ? $"deploying {push.Sid}"
            : $"deploying {first.Seed.Name} → {first.Seed.Sid}"));
    }

    private void OnFinished(GardenDeploymentCommands.Finished finished)
    {
        var now = _clock.GetCurrentInstant();
        Persist(new GardenJournalEvents.DeploymentFinished(finished.DeploymentSid, finished.RequestId, finished.Result, finished.DeployedAt, now.ToUnixTimeMilliseconds()), e =>
        {
            if (_active.Remove(e.DeploymentSid, out var child)) Context.Unwatch(child);
            _activePushes.Remove(e.DeploymentSid);
            _completed[e.DeploymentSid] = e;
            foreach (var old in _completed.Where(kv => now - Instant.FromUnixTimeMilliseconds(kv.Value.FinishedAtUnixMs) > CompletedMemory).Select(kv => kv.Key).ToList())
            {
                _completed.Remove(old);
            }
            // Profiles changed: report them (§5.7).
            Context.Parent.Tell(new GardenDaemonCommands.ReportProfiles(_store.Current.Subscriptions ?? []));
            PublishActivity();
            if (_active.Count == 0 && _draining) _drainRequester?.Tell(new GardenDaemonCommands.Drained([]));
        });
    }

    private void OnAcquire(GardenDeploymentCommands.AcquireProfile acquire)
    {
        if (!_lockHolder.ContainsKey(acquire.Key))
        {
            _lockHolder[acquire.Key] = Sender;
            Sender.Tell(new GardenDeploymentCommands.ProfileGranted(acquire.Key));
            return;
        }
        if (!_lockQueue.TryGetValue(acquire.Key, out var queue)) _lockQueue[acquire.Key] = queue = new Queue<IActorRef>();
        queue.Enqueue(Sender);
    }

    private void Release(string key, IActorRef holder)
    {
        if (!_lockHolder.TryGetValue(key, out var current) || !current.Equals(holder)) return;
        _lockHolder.Remove(key);
        if (_lockQueue.TryGetValue(key, out var queue) && queue.TryDequeue(out var next))
        {
            _lockHolder[key] = next;
            next.Tell(new GardenDeploymentCommands.ProfileGranted(key));
        }
    }

    private void PublishActivity() =>
        Context.System.EventStream.Publish(new GardenDaemonEvents.DeployerActivity(_active.Keys.Order(StringComparer.Ordinal).ToImmutableArray()));

    /// <summary>The push as journaled: the contract's <see cref="DeploymentPush"/> in its wire JSON.</summary>
    public static string ToJson(GardenDeployment push) => push.ToJson();
}
