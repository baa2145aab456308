using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Subscriptions;
using static Sower.Messages.Gardens.GardenEvents;

namespace Sower.Messages.Gardens;

/// <summary>
/// A garden's persisted state: registration, version, the subscriptions as synced (by name), reported generations,
/// presence timestamps, and an index of its deployments for duplicate suppression, supersede and replay.
/// Whether a session is open right now is not persisted (the GardenActor knows its live proxy).
/// </summary>
public sealed record GardenState(
    GardenId Sid,
    GardenRegistration? Registration,
    string? Version,
    ImmutableDictionary<string, SubscriptionRecord> Subscriptions,
    ImmutableArray<GenerationRow> Generations,
    ImmutableDictionary<string, DeploymentSummary> Deployments,
    Instant? OnlineAt,
    Instant? LastSeen,
    GardenAdmission? Admission = null,
    GardenHostCondition? Condition = null,
    ImmutableDictionary<string, string>? OwnLabels = null,
    ImmutableDictionary<string, string>? AdminLabels = null,
    ImmutableDictionary<string, DeploymentRecord>? PendingCreations = null) : ISowerSerializable
{
    /// <summary>Deployments created here whose entity has not confirmed the creation (by deployment sid): re-sent until
    /// it does. Absent in snapshots written before it existed (read as none).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ImmutableDictionary<string, DeploymentRecord> UnconfirmedCreations => PendingCreations ?? ImmutableDictionary<string, DeploymentRecord>.Empty;

    /// <summary>The labels selectors see: the server-side (admin) labels win over the garden's own (issue 14.1).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ImmutableDictionary<string, string> Labels => GardenLabels.Effective(OwnLabels, AdminLabels);

    public static GardenState Empty(GardenId sid) => new(sid, null, null, ImmutableDictionary<string, SubscriptionRecord>.Empty, [],
        ImmutableDictionary<string, DeploymentSummary>.Empty, null, null);

    public bool Exists => Registration is not null;

    /// <summary>Set while the garden is deleted: its host identifier may not enroll until an admin restores it.</summary>
    public GardenTombstone? Tombstone => Admission?.Tombstone;

    /// <summary>Re-enrollments waiting for (or decided by) an admin.</summary>
    public ImmutableArray<PendingEnrollment> Enrollments => (Admission ?? GardenAdmission.None).All;

    public PendingEnrollment? FindEnrollment(EnrollmentId sid) => Enrollments.FirstOrDefault(e => e.Sid == sid);

    private GardenAdmission AdmissionOrNone => Admission ?? GardenAdmission.None;

    private GardenState WithEnrollment(EnrollmentId sid, Func<PendingEnrollment, PendingEnrollment?> change)
    {
        var list = Enrollments.Select(e => e.Sid == sid ? change(e) : e).OfType<PendingEnrollment>().ToImmutableArray();
        return this with { Admission = AdmissionOrNone with { Enrollments = list } };
    }

    public SubscriptionRecord? FindSubscription(SubscriptionId sid) => Subscriptions.Values.FirstOrDefault(s => s.Sid == sid);

    public DeploymentSummary? FindDeployment(DeploymentId sid) => Deployments.GetValueOrDefault(sid.Value);

    public GardenState Apply(IGardenEvent e) => e switch
    {
        GardenRegistered r => this with { Registration = new GardenRegistration(r.Name, r.HostIdentifier, r.At, null) },
        GardenRebound r when Registration is not null => this with { Registration = Registration with { Name = r.Name } },
        GardenCredentialBound c when Registration is not null => this with { Registration = Registration with { Credential = c.Credential } },
        GardenVersionReported v => this with { Version = v.Version },
        GardenSubscriptionsSynced s => this with { Subscriptions = s.Subscriptions.ToImmutableDictionary(x => x.Spec.Name, StringComparer.Ordinal) },
        GardenGenerationsReported g => this with { Generations = g.Generations },
        GardenSessionStarted s => this with { OnlineAt = s.At, LastSeen = s.At },
        GardenSessionEnded s => this with { LastSeen = s.At },
        GardenRemoved => this with
        {
            Registration = null,
            Subscriptions = ImmutableDictionary<string, SubscriptionRecord>.Empty,
            Generations = [],
            Version = null,
            Admission = Admission is null ? null : Admission with { Enrollments = [] },
        },
        GardenTombstoned t => this with { Admission = AdmissionOrNone with { Tombstone = new GardenTombstone(t.Name, t.HostIdentifier, t.Actor, t.At) } },
        GardenRestored => this with { Admission = AdmissionOrNone with { Tombstone = null } },
        // Expired requests are dropped when the next one arrives, so the list stays bounded.
        GardenEnrollmentParked p => this with
        {
            Admission = AdmissionOrNone with { Enrollments = [.. Enrollments.Where(e => !e.IsExpired(p.Enrollment.RequestedAt)), p.Enrollment] },
        },
        GardenEnrollmentApproved a => WithEnrollment(a.Enrollment, e => e with { Status = EnrollmentStatus.Approved, DecidedBy = a.Actor, DecidedAt = a.At }),
        GardenEnrollmentRejected r => WithEnrollment(r.Enrollment, e => e with { Status = EnrollmentStatus.Rejected, DecidedBy = r.Actor, DecidedAt = r.At }),
        GardenEnrollmentCompleted c => WithEnrollment(c.Enrollment, _ => null),
        GardenDeploymentIndexed d => this with { Deployments = Deployments.SetItem(d.Deployment.Sid.Value, d.Deployment) },
        GardenDeploymentCreationPending p => this with { PendingCreations = UnconfirmedCreations.SetItem(p.Deployment.Sid.Value, p.Deployment) },
        GardenDeploymentCreationConfirmed c => this with { PendingCreations = UnconfirmedCreations.Remove(c.Deployment.Value) },
        GardenConditionEvents.GardenConditionReported c => this with { Condition = new GardenHostCondition(c.RebootPending, c.Drift, c.At) },
        GardenLabelsSynced l => this with { OwnLabels = l.Labels },
        GardenAdminLabelsChanged c => this with { AdminLabels = c.Removed.Aggregate(GardenLabels.Effective(AdminLabels, c.Set), (labels, key) => labels.Remove(key)) },
        _ => this,
    };

    /// <summary>REFERENCE §5.6 step 2: upsert by name (sids stay stable), delete the ones no longer listed.</summary>
    public GardenSubscriptionsSynced Sync(ImmutableArray<SubscriptionSpec> specs, Instant now, Func<SubscriptionId> newId)
    {
        var records = specs.Select(spec => Subscriptions.TryGetValue(spec.Name, out var existing)
                ? existing.Spec == spec ? existing : existing with { Spec = spec, UpdatedAt = now }
                : new SubscriptionRecord(newId(), Sid, spec, now))
            .ToImmutableArray();
        var names = specs.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var removed = Subscriptions.Values.Where(s => !names.Contains(s.Spec.Name)).ToImmutableArray();
        return new GardenSubscriptionsSynced(Sid, records, removed, now);
    }

    /// <summary>Latest successful completion that covered the subscription (REFERENCE §6.7 step 1).</summary>
    public Instant? LatestSuccess(SubscriptionId sub) => Deployments.Values
        .Where(d => d.State == DeploymentState.Completed && d.Result is { } r && r.IsApplied() && d.DeployedAt is not null
                    && d.Seeds.Any(s => s.Subscription == sub))
        .Select(d => d.DeployedAt)
        .Max();
}
