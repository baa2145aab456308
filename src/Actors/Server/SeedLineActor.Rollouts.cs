using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages;
using Sower.Messages.Rollouts;
using static Sower.Messages.Rollouts.RolloutCommands;
using static Sower.Messages.Rollouts.RolloutEvents;
using static Sower.Messages.Rollouts.RolloutQueries;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Actors.Server;

/// <summary>
/// The rollout part of the seed line (issue 14.2), a thin shell over <see cref="RolloutPlanner"/>: it persists the plan,
/// the garden labels and each rollout's progress in the line's journal, fans each wave out like any realtime seed, and
/// wakes itself with a timer when the current wave's soak time ends. It stays alive while it waits for one.
/// </summary>
public sealed partial class SeedLineActor
{
    private const string RolloutTimer = "rollout";
    private readonly IClock _clock;

    private SeedLineRollouts Rollouts => State.Rollouts ?? SeedLineRollouts.Empty;

    /// <summary>A running rollout still has waves to offer: the entity must not passivate (its soak timer would be lost).</summary>
    private bool RolloutWaiting => Rollouts.Current?.Status == RolloutStatus.Running;

    private void RolloutCommands()
    {
        Command<SetRolloutPlan>(cmd => PersistRollout([new RolloutPlanSet(_line, cmd.Plan)], Sender));
        Command<ClearRolloutPlan>(cmd =>
            PersistRollout(Rollouts.Plan is null ? [] : [new RolloutPlanCleared(_line, cmd.Actor, _clock.GetCurrentInstant())], Sender));
        Command<ResumeRollout>(cmd =>
        {
            if (Rollouts.Current is not { Status: RolloutStatus.Halted } halted)
            {
                Sender.Tell(CommandFailed.Of("rollout_not_halted", $"the rollout of {_line} is not halted ({Describe()})"));
                return;
            }
            _log.Info("rollout of {SeedId} in {SeedLine} resumed by {Actor}", halted.Seed, _line, cmd.Actor.Sid);
            PersistRollout(RolloutPlanner.Resume(halted, _line, cmd.Actor, State.NextDeliveryId, _clock.GetCurrentInstant()), Sender);
        });
        Command<AbortRollout>(cmd =>
        {
            if (Rollouts.Current is not { Status: RolloutStatus.Running or RolloutStatus.Halted } active)
            {
                Sender.Tell(CommandFailed.Of("rollout_not_active", $"the rollout of {_line} is not running or halted ({Describe()})"));
                return;
            }
            _log.Info("rollout of {SeedId} in {SeedLine} aborted by {Actor}", active.Seed, _line, cmd.Actor.Sid);
            PersistRollout([new RolloutAborted(_line, active.Seed, cmd.Actor, _clock.GetCurrentInstant())], Sender);
        });
        Command<ReportRolloutOutcome>(cmd =>
            PersistRollout(RolloutPlanner.Record(Rollouts.Current, _line, cmd.Seed, cmd.Subscription, cmd.Succeeded, _clock.GetCurrentInstant()), null));
        Command<LabelSeedLineFollower>(cmd =>
        {
            var known = Rollouts.LabelsOf(cmd.Garden);
            var same = known.Count == cmd.Labels.Count && cmd.Labels.All(kv => known.TryGetValue(kv.Key, out var v) && v == kv.Value);
            PersistRollout(same ? [] : [new SeedLineFollowerLabeled(_line, cmd.Garden, cmd.Labels)], Sender, CommandAccepted.Instance);
        });
        Command<GetRollout>(_ => Sender.Tell(Found()));
        Command<RolloutTick>(_ =>
        {
            if (Rollouts.Current is { Status: RolloutStatus.Running } running)
            {
                PersistRollout(RolloutPlanner.Advance(running, _line, ActorOf(running), State.NextDeliveryId, _clock.GetCurrentInstant()), null);
            }
        });
    }

    private RolloutFound Found() => new(_line, Rollouts.Plan, Rollouts.Current is { } r ? RolloutView.Of(r) : null);

    private string Describe() => Rollouts.Current is { } r ? $"{r.Seed} is {r.Status.ToString().ToLowerInvariant()}" : "there is none";

    /// <summary>Later waves are offered in the name of whoever submitted the seed, as the first wave was.</summary>
    private string ActorOf(Rollout r) => State.Find(r.Seed)?.Seed.RegisteredBy ?? Sower.Messages.Domain.Actor.ServerSid;

    /// <summary>Persists, then replies (the rollout as it now is, unless another reply is given), fans out any wave
    /// that started, and sets the timer for the end of the current soak.</summary>
    private void PersistRollout(ImmutableArray<ISeedLineEvent> events, IActorRef? replyTo, object? reply = null)
    {
        if (events.IsEmpty)
        {
            replyTo?.Tell(reply ?? Found());
            ScheduleRolloutTick();
            return;
        }
        var fanOut = events.Any(e => e is RealtimeFanOutScheduled);
        var remaining = events.Length;
        // In the last event's handler, not DeferAsync: Akka unstashes the next command as soon as the events' handlers have
        // run, ahead of a deferred handler, so a reply or tell from DeferAsync could come after the next command's (a dead
        // letter when that command stops the recipient, a stale answer otherwise).
        PersistAll(events, e =>
        {
            Applied(e);
            if (--remaining > 0) return;
            replyTo?.Tell(reply ?? Found());
            foreach (var halted in events.OfType<RolloutHalted>()) NotifyHalted(halted);
            if (fanOut) Deliver();
            ScheduleRolloutTick();
        });
    }

    /// <summary>A halted rollout needs an operator: one notification per halt (line, seed, wave and time).</summary>
    private static void NotifyHalted(RolloutHalted h) =>
        Context.System.EventStream.Publish(new Sower.Messages.Webhooks.NotificationRaised(Sower.Messages.Webhooks.Notification.Of(
            $"{Sower.Messages.Webhooks.NotificationKinds.RolloutHalted}:{h.Line.EntityId}:{h.Seed.Value}:{h.Wave}:{h.At.ToUnixTimeMilliseconds()}",
            Sower.Messages.Webhooks.NotificationKinds.RolloutHalted, h.At,
            $"the rollout of seed {h.Seed.Value} on {h.Line.EntityId} halted at wave {h.Wave}: {h.Reason}",
            ("line", h.Line.EntityId), ("seed", h.Seed.Value), ("wave", h.Wave.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("reason", h.Reason))));

    private void ScheduleRolloutTick()
    {
        if (RolloutPlanner.NextDue(Rollouts.Current) is not { } due)
        {
            Timers.Cancel(RolloutTimer);
            return;
        }
        var delay = (due - _clock.GetCurrentInstant()).ToTimeSpan();
        // At least a moment, at most the check interval (a long soak is re-checked, which also follows a clock change).
        var most = _settings.RolloutCheckInterval;
        delay = delay < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : delay > most ? most : delay;
        Timers.StartSingleTimer(RolloutTimer, RolloutTick.Instance, delay);
    }

    private sealed class RolloutTick : INoSerializationVerificationNeeded
    {
        public static readonly RolloutTick Instance = new();
    }
}
