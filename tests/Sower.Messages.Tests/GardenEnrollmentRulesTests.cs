using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using static Sower.Messages.Gardens.GardenEvents;
using static Sower.Messages.Gardens.GardenEnrollmentRules;

namespace Sower.Messages.Tests;

/// <summary>The pure enrollment rules (issue 12, findings 4 and 5), without actors.</summary>
public sealed class GardenEnrollmentRulesTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 12, 5, 12, 0);
    private static readonly Duration Day = Duration.FromHours(24);
    private static readonly GardenId Gid = GardenIdentity.For("host-a");
    private static readonly TokenId Credential = new("abcdefghijklmnopqrstuvwx");

    private static GardenState Enrolled() => GardenState.Empty(Gid)
        .Apply(new GardenRegistered(Gid, "web", "host-a", "u", T0))
        .Apply(new GardenCredentialBound(Gid, Credential));

    private static EnrollmentRequest Request(bool admin = false, TokenId? proof = null) =>
        new("web-new", "host-a", "2.0", "enroller", admin, proof, EnrollmentClaim.Hash("secret"));

    private static PendingEnrollment Parked(GardenState state, Instant at, out GardenState next)
    {
        var park = Assert.IsType<Park>(Decide(state, Request(), at, Day, EnrollmentId.New()));
        next = state.Apply(new GardenEnrollmentParked(Gid, park.Enrollment));
        return park.Enrollment;
    }

    [Fact]
    public void An_unknown_host_is_registered() => Assert.IsType<Register>(Decide(GardenState.Empty(Gid), Request(), T0, Day, EnrollmentId.New()));

    [Fact]
    public void A_known_host_without_proof_is_parked_with_its_expiry()
    {
        var park = Assert.IsType<Park>(Decide(Enrolled(), Request(), T0, Day, EnrollmentId.New()));
        Assert.Equal(T0 + Day, park.Enrollment.ExpiresAt);
        Assert.Equal(EnrollmentStatus.Pending, park.Enrollment.Status);
        Assert.Equal("web-new", park.Enrollment.Name);
    }

    [Fact]
    public void The_current_credential_or_an_admin_caller_re_binds_and_a_stale_credential_does_not()
    {
        Assert.IsType<Rebind>(Decide(Enrolled(), Request(proof: Credential), T0, Day, EnrollmentId.New()));
        Assert.IsType<Rebind>(Decide(Enrolled(), Request(admin: true), T0, Day, EnrollmentId.New()));
        Assert.IsType<Park>(Decide(Enrolled(), Request(proof: new TokenId("bbbbbbbbbbbbbbbbbbbbbbbb")), T0, Day, EnrollmentId.New()));
    }

    [Fact]
    public void A_tombstoned_host_is_refused_even_for_an_admin_until_restored()
    {
        var deleted = Enrolled().Apply(new GardenRemoved(Gid, Actor.FromLegacy("admin"), T0)).Apply(new GardenTombstoned(Gid, "web", "host-a", "admin", T0));
        var refuse = Assert.IsType<Refuse>(Decide(deleted, Request(admin: true), T0, Day, EnrollmentId.New()));
        Assert.Equal(GardenDeleted, refuse.Code);
        Assert.Equal("garden was deleted; an admin must restore it", refuse.Message);
        Assert.Null(CanRestore(deleted));
        var restored = deleted.Apply(new GardenRestored(Gid, "admin", T0));
        Assert.IsType<Register>(Decide(restored, Request(), T0, Day, EnrollmentId.New()));
        Assert.NotNull(CanRestore(restored));
    }

    [Fact]
    public void Deleting_a_garden_drops_its_parked_enrollments()
    {
        var enrollment = Parked(Enrolled(), T0, out var state);
        var deleted = state.Apply(new GardenRemoved(Gid, Actor.FromLegacy("admin"), T0));
        Assert.Null(deleted.FindEnrollment(enrollment.Sid));
    }

    [Fact]
    public void A_parked_enrollment_is_claimed_only_with_its_secret_and_only_after_approval()
    {
        var enrollment = Parked(Enrolled(), T0, out var state);
        Assert.Equal(ClaimOutcome.Pending, Claim(state, enrollment.Sid, EnrollmentClaim.Hash("secret"), T0));
        Assert.Equal(ClaimOutcome.NotFound, Claim(state, enrollment.Sid, EnrollmentClaim.Hash("guess"), T0));
        Assert.Null(CanDecide(state, enrollment.Sid, T0));
        var approved = state.Apply(new GardenEnrollmentApproved(Gid, enrollment.Sid, "admin", T0));
        Assert.Equal(ClaimOutcome.Approved, Claim(approved, enrollment.Sid, EnrollmentClaim.Hash("secret"), T0));
        Assert.Equal(EnrollmentDecided, CanDecide(approved, enrollment.Sid, T0)!.Code);
        var completed = approved.Apply(new GardenEnrollmentCompleted(Gid, enrollment.Sid, T0));
        Assert.Equal(ClaimOutcome.NotFound, Claim(completed, enrollment.Sid, EnrollmentClaim.Hash("secret"), T0));
    }

    [Fact]
    public void A_rejected_enrollment_stays_rejected_and_an_undecided_one_expires()
    {
        var enrollment = Parked(Enrolled(), T0, out var state);
        var rejected = state.Apply(new GardenEnrollmentRejected(Gid, enrollment.Sid, "admin", T0));
        Assert.Equal(ClaimOutcome.Rejected, Claim(rejected, enrollment.Sid, EnrollmentClaim.Hash("secret"), T0 + Day));
        Assert.Equal(EnrollmentDecided, CanDecide(rejected, enrollment.Sid, T0)!.Code);

        var late = T0 + Day;
        Assert.False(enrollment.IsOpen(late));
        Assert.Equal(ClaimOutcome.Expired, Claim(state, enrollment.Sid, EnrollmentClaim.Hash("secret"), late));
        Assert.Equal(EnrollmentExpired, CanDecide(state, enrollment.Sid, late)!.Code);
        // The next request drops the lapsed one, so the list stays bounded.
        var next = Parked(state, late, out var after);
        Assert.Equal([next.Sid], after.Enrollments.Select(e => e.Sid));
    }

    [Fact]
    public void A_flood_of_requests_for_one_garden_is_capped()
    {
        var state = Enrolled();
        for (var i = 0; i < MaxOpenPerGarden; i++) Parked(state, T0, out state);
        Assert.Equal(TooManyPending, Assert.IsType<Refuse>(Decide(state, Request(), T0, Day, EnrollmentId.New())).Code);
        Assert.IsType<Park>(Decide(state, Request(), T0 + Day, Day, EnrollmentId.New()));
    }
}
