using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Gardens;

public enum EnrollmentStatus
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>
/// A request to re-bind a known host identifier, parked until an admin decides. Only the hash of the claim secret is
/// kept: the requester alone (who got the secret once) can collect the credential after approval.
/// </summary>
public sealed record PendingEnrollment(
    EnrollmentId Sid,
    string Name,
    string? Version,
    string RequestedBy,
    string ClaimHash,
    Instant RequestedAt,
    Instant ExpiresAt,
    EnrollmentStatus Status,
    string? DecidedBy,
    Instant? DecidedAt) : ISowerSerializable
{
    public bool IsExpired(Instant now) => now >= ExpiresAt;

    /// <summary>Waiting for an admin, and not expired: what the enrollment listings show.</summary>
    public bool IsOpen(Instant now) => Status == EnrollmentStatus.Pending && !IsExpired(now);
}

/// <summary>What is left of a deleted garden: its host identifier may not enroll again until an admin restores it.</summary>
public sealed record GardenTombstone(string Name, string HostIdentifier, string DeletedBy, Instant DeletedAt) : ISowerSerializable;

/// <summary>Who may (re-)enroll as this garden: its tombstone and the enrollments waiting for an admin.</summary>
public sealed record GardenAdmission(GardenTombstone? Tombstone, ImmutableArray<PendingEnrollment> Enrollments) : ISowerSerializable
{
    public static readonly GardenAdmission None = new(null, []);

    public ImmutableArray<PendingEnrollment> All => Enrollments.IsDefault ? [] : Enrollments;
}

/// <summary>An enrollment as the API endpoint hands it to the garden entity.</summary>
/// <param name="CallerIsAdmin">An admin's own request is its approval.</param>
/// <param name="ProvenCredential">The garden credential the caller presented and the token store accepted for this garden, if any.</param>
/// <param name="ClaimHash">Hash of the claim secret the caller gets if the request is parked.</param>
public sealed record EnrollmentRequest(string Name, string HostIdentifier, string? Version, string Actor, bool CallerIsAdmin, TokenId? ProvenCredential,
    string ClaimHash);

/// <summary>
/// The pure rules of enrollment (issue 12, findings 4 and 5): an enrollment token creates new gardens only; a known host
/// identifier is re-bound only by the garden proving its current credential or by an admin; everything else parks for
/// approval; a deleted garden's identifier is refused until restored.
/// </summary>
public static class GardenEnrollmentRules
{
    public const string GardenDeleted = "garden_deleted";
    public const string GardenDeletedMessage = "garden was deleted; an admin must restore it";
    public const string TooManyPending = "too_many_pending_enrollments";
    public const string EnrollmentNotFound = "enrollment_not_found";
    public const string EnrollmentDecided = "enrollment_already_decided";
    public const string EnrollmentExpired = "enrollment_expired";
    public const string EnrollmentRejected = "enrollment_rejected";
    public const string NotDeleted = "garden_not_deleted";

    /// <summary>Open requests per garden: enough for a re-installed host and a stray duplicate, not a flood.</summary>
    public const int MaxOpenPerGarden = 10;

    public abstract record Decision;

    public sealed record Register : Decision;

    public sealed record Rebind : Decision;

    public sealed record Park(PendingEnrollment Enrollment) : Decision;

    public sealed record Refuse(string Code, string Message) : Decision;

    public static Decision Decide(GardenState state, EnrollmentRequest request, Instant now, Duration expiry, EnrollmentId newId)
    {
        if (state.Tombstone is not null) return new Refuse(GardenDeleted, GardenDeletedMessage);
        if (!state.Exists) return new Register();
        if (request.CallerIsAdmin) return new Rebind();
        if (request.ProvenCredential is { } proven && proven == state.Registration!.Credential) return new Rebind();
        if (state.Enrollments.Count(e => e.IsOpen(now)) >= MaxOpenPerGarden)
        {
            return new Refuse(TooManyPending, $"{MaxOpenPerGarden} enrollments of this garden already wait for an admin; approve or reject them first");
        }
        return new Park(new PendingEnrollment(newId, request.Name, request.Version, request.Actor, request.ClaimHash, now, now + expiry,
            EnrollmentStatus.Pending, null, null));
    }

    /// <summary>An admin's approval or rejection: null when it may happen, else why not.</summary>
    public static CommandFailed? CanDecide(GardenState state, EnrollmentId id, Instant now)
    {
        var enrollment = state.FindEnrollment(id);
        if (enrollment is null) return CommandFailed.Of(EnrollmentNotFound, "enrollment not found");
        if (enrollment.Status != EnrollmentStatus.Pending)
        {
            return CommandFailed.Of(EnrollmentDecided, $"enrollment was already {enrollment.Status.ToString().ToLowerInvariant()}");
        }
        if (enrollment.IsExpired(now)) return CommandFailed.Of(EnrollmentExpired, "enrollment expired; the garden must ask again");
        return null;
    }

    public enum ClaimOutcome
    {
        NotFound,
        Pending,
        Approved,
        Rejected,
        Expired,
    }

    /// <summary>The requester polling its parked enrollment with the claim secret (compared in constant time).</summary>
    public static ClaimOutcome Claim(GardenState state, EnrollmentId id, string claimHash, Instant now)
    {
        var enrollment = state.FindEnrollment(id);
        if (enrollment is null || !SameHash(enrollment.ClaimHash, claimHash)) return ClaimOutcome.NotFound;
        if (enrollment.Status == EnrollmentStatus.Rejected) return ClaimOutcome.Rejected;
        if (enrollment.IsExpired(now)) return ClaimOutcome.Expired;
        return enrollment.Status == EnrollmentStatus.Approved ? ClaimOutcome.Approved : ClaimOutcome.Pending;
    }

    public static CommandFailed? CanRestore(GardenState state) =>
        state.Tombstone is null ? CommandFailed.Of(NotDeleted, "garden is not deleted") : null;

    private static bool SameHash(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}

/// <summary>The secret a parked requester polls with: 32 random bytes, kept on the server only as SHA-256.</summary>
public static class EnrollmentClaim
{
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
