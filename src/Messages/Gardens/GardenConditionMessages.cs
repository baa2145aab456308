using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Gardens;

/// <summary>The host condition a garden last reported (<c>garden:condition:report</c>): a pending reboot, drift, or neither.</summary>
public sealed record GardenHostCondition(RebootPending? RebootPending, Drift? Drift, Instant ReportedAt)
{
    public bool IsRebootPending => RebootPending is not null;

    public bool IsDrifted => Drift is not null;
}

public static class GardenConditionCommands
{
    /// <summary>From the gateway, already validated and bound to the sending garden.</summary>
    public sealed record ReportGardenCondition(GardenId GardenId, RebootPending? RebootPending, Drift? Drift) : IWithGardenId, ISowerSerializable;
}

public static class GardenConditionEvents
{
    public sealed record GardenConditionReported(GardenId GardenId, RebootPending? RebootPending, Drift? Drift, Instant At) : GardenEvents.IGardenEvent;
}
