using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;

namespace Sower.Messages.Subscriptions;

/// <summary>The server's mirror of one garden subscription, as last synced (REFERENCE §5.6). Upserted by (garden, name).</summary>
public sealed record SubscriptionRecord(SubscriptionId Sid, GardenId Garden, SubscriptionSpec Spec, Instant UpdatedAt) : ISowerSerializable
{
    public SeedLineKey Line => new(Spec.SeedType, Spec.SeedName);

    public DateTimeZone Zone => Zones.TryGet(Spec.Timezone, out var zone) && zone is not null ? zone : Zones.Utc;

    public bool Realtime => PolicyEvaluator.HasRealtimeTrigger(Spec.Policy);
}
