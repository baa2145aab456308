using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

/// <summary>What may be shown about a token: never its secret or hash.</summary>
/// <param name="ExpiresOn">Last valid date (UTC), inclusive; null only for garden credentials.</param>
/// <param name="OwnerSid">The token that created it (only it, the token itself, or an admin may manage it);
/// <c>system</c> for tokens the server issued and for tokens created before owners were recorded (admin-owned).</param>
/// <param name="GardenId">Set for a garden's own credential.</param>
/// <param name="CreatedBy">Who created it, with the creator's description at the time (null before actors were recorded).</param>
/// <param name="OwnerMatches">A personal token's (<see cref="OwnerPerson"/>): the owner's <c>claim=value</c> pairs that
/// granted their roles when they minted it; at every use the role mapping in force must still grant the token's roles
/// to them (<see cref="OidcRoleMapping.Grants"/>).</param>
public sealed record AccessTokenInfo(
    TokenId Sid,
    string Description,
    ImmutableArray<string> Roles,
    LocalDate? ExpiresOn,
    string OwnerSid,
    GardenId? GardenId,
    Instant CreatedAt,
    Instant SecretIssuedAt,
    Actor? CreatedBy = null,
    ImmutableArray<string>? OwnerMatches = null)
{
    /// <summary>Owner sids of personal tokens: this prefix and the person's OIDC subject.</summary>
    public const string PersonOwnerPrefix = "person:";

    /// <summary>The OIDC subject of the person who minted this token for themselves, or null.</summary>
    public string? OwnerPerson => OwnerSid.StartsWith(PersonOwnerPrefix, StringComparison.Ordinal) ? OwnerSid[PersonOwnerPrefix.Length..] : null;

    /// <summary>Valid through the end of <see cref="ExpiresOn"/> (UTC).</summary>
    public bool IsValidOn(LocalDate todayUtc) => ExpiresOn is not { } last || todayUtc <= last;

    /// <summary>The displayable prefix of the token, e.g. <c>sower_abc…_…</c>.</summary>
    public string Hint => $"{AccessTokenFormat.Prefix}_{Sid.Value}_…";
}
