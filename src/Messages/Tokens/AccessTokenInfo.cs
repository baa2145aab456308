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
public sealed record AccessTokenInfo(
    TokenId Sid,
    string Description,
    ImmutableArray<string> Roles,
    LocalDate? ExpiresOn,
    string OwnerSid,
    GardenId? GardenId,
    Instant CreatedAt,
    Instant SecretIssuedAt,
    Actor? CreatedBy = null)
{
    /// <summary>Valid through the end of <see cref="ExpiresOn"/> (UTC).</summary>
    public bool IsValidOn(LocalDate todayUtc) => ExpiresOn is not { } last || todayUtc <= last;

    /// <summary>The displayable prefix of the token, e.g. <c>sower_abc…_…</c>.</summary>
    public string Hint => $"{AccessTokenFormat.Prefix}_{Sid.Value}_…";
}
