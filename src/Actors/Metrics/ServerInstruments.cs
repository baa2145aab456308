using System.Diagnostics;
using System.Diagnostics.Metrics;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Deployments;
using static Sower.Messages.Deployments.DeploymentEvents;

namespace Sower.Actors.Metrics;

/// <summary>
/// The server's own instruments (meter <see cref="MeterName"/>), recorded where the work happens: cheap no-ops while no
/// listener (the /metrics exporter) is attached. Labels are small closed sets (entity kind, trigger, result, hub method,
/// error code); never a garden, seed or token id. README "Metrics" lists every series.
/// </summary>
public static class ServerInstruments
{
    public const string MeterName = "Sower.Server";

    private static readonly Meter Meter = new(MeterName);

    // Deployments take seconds to hours (a scheduled trigger waits for its window): buckets up to a day.
    private static readonly double[] RolloutBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 14400, 86400];
    private static readonly double[] StorageBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Histogram<double> Acknowledged = Meter.CreateHistogram("sower.rollout.acknowledge.duration", "s",
        "From the seed being accepted (its recency) to the garden acknowledging the deployment.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RolloutBuckets });

    private static readonly Histogram<double> Resulted = Meter.CreateHistogram("sower.rollout.result.duration", "s",
        "From the seed being accepted (its recency) to the garden reporting the deployment's result.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RolloutBuckets });

    private static readonly Counter<long> Completed = Meter.CreateCounter<long>("sower.deployments.completed", "{deployment}",
        "Deployments that reached a result, by result and trigger.");

    private static readonly Counter<long> GatewayMessages = Meter.CreateCounter<long>("sower.gateway.messages", "{message}",
        "Messages gardens sent to the gateway, by hub method and reply (ok or the error code).");

    private static readonly Histogram<double> JournalWrite = Meter.CreateHistogram("sower.persistence.write.duration", "s",
        "From an entity asking to persist events to the journal confirming them, by entity kind.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StorageBuckets });

    private static readonly Histogram<double> Recovery = Meter.CreateHistogram("sower.persistence.recovery.duration", "s",
        "From an entity starting to its state being recovered from the journal, by entity kind.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StorageBuckets });

    private static int? _outboxDepth;

    static ServerInstruments()
    {
        Meter.CreateObservableGauge("sower.webhooks.outbox.depth", ObserveOutbox, "{notification}",
            "Undelivered webhook notifications in the outbox (reported by the node running the outbox singleton).");
    }

    private static IEnumerable<Measurement<int>> ObserveOutbox() =>
        _outboxDepth is { } depth ? [new Measurement<int>(depth)] : [];

    /// <summary>The outbox singleton reports its depth after every change, and null when it stops on this node.</summary>
    public static void SetOutboxDepth(int? depth) => _outboxDepth = depth;

    /// <summary>Called once per persisted deployment event (never on recovery): rollout latencies and results.</summary>
    public static void DeploymentPersisted(IDeploymentEvent e, DeploymentRecord deployment)
    {
        if (!Acknowledged.Enabled && !Completed.Enabled) return;
        var trigger = new KeyValuePair<string, object?>("trigger", deployment.Trigger.ToWire());
        switch (e)
        {
            case DeploymentAcknowledged a:
                Acknowledged.Record(SinceAccepted(deployment, a.At), trigger);
                break;
            case DeploymentCompleted c:
                var result = new KeyValuePair<string, object?>("result", c.Result.ToWire());
                Resulted.Record(SinceAccepted(deployment, c.At), trigger, result);
                Completed.Add(1, trigger, result);
                break;
        }
    }

    /// <summary>The seed was accepted when it became the line's latest (its recency); for several seeds, the newest.</summary>
    private static double SinceAccepted(DeploymentRecord deployment, Instant at)
    {
        var accepted = deployment.Seeds.IsDefaultOrEmpty ? deployment.CreatedAt : deployment.Seeds.Max(s => s.Seed.Recency);
        return Math.Max(0, (at - accepted).TotalSeconds);
    }

    public static void GatewayMessage(string method, string? errorCode) =>
        GatewayMessages.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("reply", errorCode ?? "ok"));

    public static long Timestamp() => Stopwatch.GetTimestamp();

    public static void JournalWritten(string entity, long startedAt) =>
        JournalWrite.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, new KeyValuePair<string, object?>("entity", entity));

    public static void Recovered(string entity, long startedAt) =>
        Recovery.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, new KeyValuePair<string, object?>("entity", entity));
}
