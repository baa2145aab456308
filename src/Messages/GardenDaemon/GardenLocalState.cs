using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Activator;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>A subscription as the server confirmed it in the last successful sync: its sid and the spec that was synced.</summary>
public sealed record SyncedSubscription(string Sid, SubscriptionSpec Spec);

/// <summary>
/// The garden's local state (REFERENCE §5.2): identity, credential, the subscriptions of the last successful sync and the
/// last schedule fire per subscription (for catching up a fire missed while the process was down), and the active
/// service seed per subscription.
/// </summary>
public sealed record GardenLocalState(
    string? GardenSid,
    string? Credential,
    string? HostIdentifier,
    ImmutableArray<SyncedSubscription>? Subscriptions,
    ImmutableDictionary<string, Instant> LastFires,
    ImmutableDictionary<string, ServiceSeed>? ActiveServices = null,
    EnrollmentTicket? PendingEnrollment = null)
{
    public static GardenLocalState Empty { get; } = new(null, null, null, null, ImmutableDictionary<string, Instant>.Empty);

    /// <summary>The service seed last activated per subscription sid: the activator always gets the complete set (§7.4).</summary>
    public ImmutableDictionary<string, ServiceSeed> Services => ActiveServices ?? ImmutableDictionary<string, ServiceSeed>.Empty;
}

/// <summary>An enrollment the server parked for an admin's approval: the garden polls it with the claim (kept 0600 in state.json).</summary>
public sealed record EnrollmentTicket(string GardenSid, string EnrollmentSid, string Claim);
