using System.Text.Json.Nodes;
using Akka.Actor;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Rollouts;
using Sower.Messages.Seeds;
using Sower.Server.Api;
using static Sower.Messages.Rollouts.RolloutQueries;

namespace Sower.Server.Cli;

/// <summary>
/// The waves of one submitted seed's rollout, for `sower seed submit --wait` (issue 14.2): asks the seed line for its
/// rollout and reports a <c>wave</c> event each time a wave changes state (starts, soaks, is done, halts, is skipped).
/// A line without a plan, or a plan under which no rollout of this seed appears within <see cref="StartGrace"/>, leaves
/// the stream as it was without waves.
/// </summary>
public sealed class RolloutWaveWatch(IActorRef lines, SeedLineKey line, SeedId seed, Instant startedAt)
{
    /// <summary>How long a line with a plan may take to start the seed's rollout (the fan-out reaches the line asynchronously).</summary>
    public static readonly Duration StartGrace = Duration.FromSeconds(15);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(900);
    private readonly Dictionary<int, string> _reported = [];
    private long _lastPoll = long.MinValue / 2;

    /// <summary>True once the line answered with a plan; false when it has none (then nothing changes for the stream).</summary>
    public bool Planned { get; private set; }

    /// <summary>The seed's rollout as last seen; null until it started.</summary>
    public RolloutView? Rollout { get; private set; }

    /// <summary>Whether the rollout is over: completed, halted or aborted. Without a rollout after the grace period: true.</summary>
    public bool Finished(Instant now) => Rollout is { } r ? r.Status != RolloutStatus.Running : now >= startedAt + StartGrace;

    /// <summary>Asks the line once: is there a plan? (A failed ask counts as no plan: the stream behaves as before.)</summary>
    public async Task Start(CancellationToken cancellation)
    {
        if (await Ask(cancellation) is { } found) Planned = found.Plan is not null || found.Rollout?.Seed == seed;
    }

    /// <summary>Polls the line and returns a wave event for every wave whose state changed since the last poll.</summary>
    public async Task<IReadOnlyList<JsonObject>> Poll(CancellationToken cancellation)
    {
        // The stream looks at every read-model change (each log line): ask the line at most once per PollEvery.
        var tick = Environment.TickCount64;
        if (!Planned || tick - _lastPoll < (long)PollEvery.TotalMilliseconds) return [];
        _lastPoll = tick;
        if (await Ask(cancellation) is not { Rollout: { } rollout } || rollout.Seed != seed) return [];
        Rollout = rollout;
        var events = new List<JsonObject>();
        foreach (var wave in rollout.Waves)
        {
            var known = _reported.GetValueOrDefault(wave.Number);
            // "pending" is where every wave starts: only changes from there are news.
            if (known == wave.State || (known is null && wave.State == "pending")) continue;
            _reported[wave.Number] = wave.State;
            events.Add(WaveEvent(rollout, wave));
        }
        return events;
    }

    public static JsonObject WaveEvent(RolloutView rollout, RolloutWaveView wave) => new()
    {
        ["kind"] = "wave",
        ["seed_sid"] = rollout.Seed.Value,
        ["rollout_status"] = rollout.Status.ToString().ToLowerInvariant(),
        ["rollout_reason"] = rollout.Reason,
        ["number"] = wave.Number,
        ["name"] = wave.Name,
        ["state"] = wave.State,
        ["total"] = wave.Total,
        ["succeeded"] = wave.Succeeded,
        ["failed"] = wave.Failed,
        ["required"] = wave.Required,
        ["soak_until"] = ApiWire.Time(wave.SoakUntil),
    };

    private async Task<RolloutFound?> Ask(CancellationToken cancellation)
    {
        try
        {
            return await lines.Ask(new GetRollout(line), AskTimeout, cancellation) as RolloutFound;
        }
        catch (AskTimeoutException)
        {
            // The line is busy or moving between nodes: look again at the next tick.
            return null;
        }
    }
}
