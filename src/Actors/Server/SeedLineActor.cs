using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Sower.Messages;
using NodaTime;
using Sower.Messages.Rollouts;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;
using static Sower.Messages.Seeds.SeedLineQueries;

namespace Sower.Actors.Server;

/// <summary>
/// The seeds of one (name, type) in recency order, the subscriptions that follow them, and the durable realtime fan-out
/// (REFERENCE §6.8): a pending delivery per subscription is persisted, delivered to the garden with the line's latest
/// matching seed (so bursts coalesce), re-delivered until the garden acknowledges it (at most 3 attempts per run, each
/// only when the previous one is overdue, with a growing wait: a fleet-wide fan-out re-sends only what was not
/// acknowledged in time, never the whole fleet every interval), and re-delivered after a crash because the entity stays
/// alive, and remembered, while deliveries are pending.
/// </summary>
public sealed partial class SeedLineActor : ServerEntityActor<SeedLineState, ISeedLineEvent>, IWithTimers
{
    private const string FanOutTimer = "fan-out";
    private readonly ShardRefs _shards;
    private readonly ServerEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SeedLineKey _line;

    /// <summary>Per pending subscription, when its current delivery may be re-sent (monotonic ms). Not persisted: after a
    /// restart every pending delivery is sent once more, which at-least-once delivery allows (the garden is idempotent).</summary>
    private readonly Dictionary<string, (long DeliveryId, long At)> _retryDue = new(StringComparer.Ordinal);

    public SeedLineActor(string entityId, ShardRefs shards, ServerEntitySettings settings, IClock clock)
        : base("seedline", entityId, SeedLineState.Empty, (s, e) => s.Apply(e), settings)
    {
        _clock = clock;
        SeedLineKey.TryParse(entityId, out _line);
        _shards = shards;
        _settings = settings;

        // Per-garden commands wait in a batch until the mailbox has no more of them, then are written in one go; anything
        // else that arrives meanwhile waits for that write, so every command still sees the ones before it.
        // While a batch is being written everything waits (a command that arrives during the write must not overtake
        // one stashed before it: a query answered before the seed it follows was set in the line).
        Command<object>(_ =>
        {
            Stash.Stash();
            if (!_flushing) FlushBatch();
        }, m => m is not FlushBatchNow && (_flushing || (_batch.Count > 0 && !SeedLineBatch.IsBatched(m))));
        Command<FollowSeedLine>(Enqueue);
        Command<UnfollowSeedLine>(Enqueue);
        Command<RealtimeDeliveryDone>(Enqueue);
        Command<FlushBatchNow>(_ => { if (!_flushing) FlushBatch(); });

        Command<SetSeedInLine>(cmd =>
        {
            // With a rollout plan, the fan-out goes to the first wave only (issue 14.2).
            var events = RolloutPlanner.Gate(State, State.Decide(cmd), _clock.GetCurrentInstant());
            var ack = new SeedInLineSet(cmd.Seed.Sid, cmd.Version);
            PersistThen(events, Sender, ack, deliver: events.Any(e => e is RealtimeFanOutScheduled));
        });
        Command<RemoveSeedFromLine>(cmd =>
            PersistThen(State.Find(cmd.SeedId) is null ? [] : [new SeedLineEntryRemoved(_line, cmd.SeedId)], Sender, CommandAccepted.Instance));
        Command<GetLatestMatchingSeed>(q => Sender.Tell(new LatestMatchingSeed(q.Correlation, State.LatestMatching(q.Rules))));
        Command<GetSeedLineFollowers>(q =>
        {
            var seed = State.Find(q.Seed)?.Seed;
            var followers = seed is null
                ? []
                : State.Followers.Values
                    .Where(f => SeedMatching.Matches(seed.Name, seed.Type, seed.Tags, false, _line.Name, _line.Type, f.Rules))
                    .OrderBy(f => f.Subscription.Value, StringComparer.Ordinal)
                    .ToImmutableArray();
            Sender.Tell(new SeedLineFollowers(q.Correlation, followers));
        });
        Command<GetSeedsInLine>(q =>
        {
            var ordered = State.Ordered().ToList();
            Sender.Tell(new SeedsInLine(ordered.Skip(Math.Max(0, q.Offset)).Take(Math.Max(0, q.Limit)).ToImmutableArray(), ordered.Count));
        });
        Command<DeliverPending>(_ => Deliver());
        RolloutCommands();
        Command<ReceiveTimeout>(_ =>
        {
            if (State.Pending.IsEmpty && !RolloutWaiting) Passivate();
        });
        HandleSnapshotReplies();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();
        if (!State.Pending.IsEmpty) Self.Tell(DeliverPending.Instance);
        ScheduleRolloutTick();
    }

    private void PersistThen(ImmutableArray<ISeedLineEvent> events, IActorRef replyTo, object? reply, bool deliver = false)
    {
        if (events.IsEmpty)
        {
            if (reply is not null) replyTo.Tell(reply);
            return;
        }
        PersistAll(events, e =>
        {
            Applied(e);
        });
        DeferAsync(_line.EntityId, _ =>
        {
            if (reply is not null) replyTo.Tell(reply);
            if (deliver) Deliver();
        });
    }

    private readonly List<(object Command, IActorRef ReplyTo)> _batch = [];
    private bool _flushQueued;
    private bool _flushing;

    private void Enqueue(object command)
    {
        _batch.Add((command, Sender));
        if (_flushQueued) return;
        _flushQueued = true;
        // Behind whatever is already in the mailbox: the acknowledgements of a fan-out arrive in bursts.
        Self.Tell(FlushBatchNow.Instance);
    }

    private void FlushBatch()
    {
        _flushQueued = false;
        if (_batch.Count == 0) return;
        var batch = _batch.ToList();
        _batch.Clear();
        var events = SeedLineBatch.Decide(State, batch.Select(b => b.Command));
        void Reply()
        {
            _flushing = false;
            // Follow and unfollow are answered (after the write); an acknowledged delivery is not.
            foreach (var (command, replyTo) in batch)
            {
                if (command is not RealtimeDeliveryDone) replyTo.Tell(CommandAccepted.Instance);
            }
            Stash.UnstashAll();
        }
        if (events.IsEmpty)
        {
            Reply();
            return;
        }
        _flushing = true;
        PersistAll(events, e =>
        {
            Applied(e);
        });
        DeferAsync(_line.EntityId, _ => Reply());
    }

    private void Deliver()
    {
        if (State.Pending.IsEmpty)
        {
            Timers.Cancel(FanOutTimer);
            _retryDue.Clear();
            return;
        }
        var now = Environment.TickCount64;
        var done = ImmutableArray.CreateBuilder<ISeedLineEvent>();
        foreach (var pending in State.Pending.Values)
        {
            var follower = State.Followers.GetValueOrDefault(pending.Subscription.Value);
            var latest = follower is null ? null : State.LatestMatching(follower.Rules);
            if (follower is null || latest is null)
            {
                done.Add(new RealtimeFanOutDelivered(_line, pending.Subscription, pending.DeliveryId));
            }
            else if (_retryDue.TryGetValue(pending.Subscription.Value, out var due) && due.DeliveryId == pending.DeliveryId && now < due.At)
            {
                // Sent and not yet acknowledged, but not due for a retry: a slow garden entity is not a lost message.
            }
            else if (pending.Attempts >= SeedLineState.MaxAttempts)
            {
                _log.Warning("realtime delivery to subscription {SubscriptionId} abandoned after {Attempts} attempts", pending.Subscription, pending.Attempts);
                done.Add(new RealtimeFanOutAbandoned(_line, pending.Subscription, pending.DeliveryId));
            }
            else
            {
                State = State.WithAttempt(pending.Subscription);
                _retryDue[pending.Subscription.Value] = (pending.DeliveryId, now + (long)RetryBackoff(pending.Attempts + 1).TotalMilliseconds);
                _shards.Gardens.Tell(new DeployRealtime(follower.Garden, pending.Subscription, latest, pending.Actor, _line, pending.DeliveryId));
            }
        }
        if (_retryDue.Count > State.Pending.Count)
        {
            foreach (var key in _retryDue.Keys.Where(k => !State.Pending.ContainsKey(k)).ToList()) _retryDue.Remove(key);
        }
        if (done.Count > 0) PersistThen(done.ToImmutable(), ActorRefs.Nobody, null);
        if (!Timers.IsTimerActive(FanOutTimer)) Timers.StartPeriodicTimer(FanOutTimer, DeliverPending.Instance, _settings.FanOutRetryInterval);
    }

    /// <summary>The wait after attempt n before it is re-sent: the retry interval, times 4 per attempt up to 16 (5 s, 20 s,
    /// 80 s, 80 s … by default), so a garden entity slowed or failing on a busy journal is given ~6 minutes
    /// (<see cref="SeedLineState.MaxAttempts"/>) before its delivery is abandoned.</summary>
    private TimeSpan RetryBackoff(int attempt) => _settings.FanOutRetryInterval * Math.Pow(4, Math.Clamp(attempt - 1, 0, 2));

    private sealed class FlushBatchNow : INoSerializationVerificationNeeded
    {
        public static readonly FlushBatchNow Instance = new();
    }

    private sealed class DeliverPending : INoSerializationVerificationNeeded
    {
        public static readonly DeliverPending Instance = new();
    }
}
