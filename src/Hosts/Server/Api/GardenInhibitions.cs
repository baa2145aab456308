using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.RebootLocks;
using Sower.Messages.RebootLocks;
using static Sower.Messages.RebootLocks.RebootLockQueries;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Server.Api;

/// <summary>
/// The inhibitions the gardens reported over the gateway (issue 14.4), kept by the reboot-lock singleton, joined into
/// the garden views. When the singleton does not answer in time (startup, failover) the state is unknown: the garden
/// JSON then has no <c>inhibited</c> field rather than a wrong "no".
/// </summary>
public static class GardenInhibitions
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    public static async Task<IReadOnlyDictionary<string, GardenInhibition>?> Current(IRequiredActor<RebootLocksActorKey> locks, ILogger log)
    {
        try
        {
            var list = await locks.ActorRef.Ask<RebootLockList>(GetRebootLocks.Instance, AskTimeout);
            return list.Inhibitions.ToDictionary(i => i.Garden.Value, StringComparer.Ordinal);
        }
        catch (AskTimeoutException)
        {
            log.LogWarning("the reboot lock table did not answer within {Timeout}: garden inhibitions are left out", AskTimeout);
            return null;
        }
    }

    public static GardenInhibitionStateWire? Wire(IReadOnlyDictionary<string, GardenInhibition>? all, string gardenSid) =>
        all?.GetValueOrDefault(gardenSid) is { } i ? new GardenInhibitionStateWire(i.Reason, ApiWire.Time(i.Since)) : null;
}

/// <summary>Why and since when a garden defers its activations and restarts.</summary>
public sealed record GardenInhibitionStateWire(string Reason, string Since);
