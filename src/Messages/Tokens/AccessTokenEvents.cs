using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

public static class AccessTokenEvents
{
    /// <param name="SecretHash">SHA-256 of the secret, hex; the plaintext is never persisted.</param>
    /// <param name="OwnerSid">The creating token's sid, or <c>system</c> for tokens the server issued (bootstrap,
    /// break-glass, garden credentials) and for every token created before owners were recorded.</param>
    /// <param name="By">Who created it (null in events written before actors were recorded).</param>
    public sealed record AccessTokenCreated(
        TokenId TokenId,
        string Description,
        ImmutableArray<string> Roles,
        LocalDate? ExpiresOn,
        string OwnerSid,
        GardenId? GardenId,
        string SecretHash,
        Instant At,
        Actor? By = null) : ITokenEvent;

    /// <summary>A new secret (and possibly a new expiry) under the same sid; the old secret stops working.</summary>
    public sealed record AccessTokenRegenerated(TokenId TokenId, LocalDate? ExpiresOn, string SecretHash, Instant At, Actor? By = null) : ITokenEvent;

    public sealed record AccessTokenRevoked(TokenId TokenId, Instant At, Actor? By = null) : ITokenEvent;

    /// <summary>A person signed in through OIDC minted a token for themselves (owner <c>person:&lt;subject&gt;</c>).</summary>
    /// <param name="OwnerMatches">The person's <c>claim=value</c> pairs that granted their roles at the time.</param>
    public sealed record PersonalAccessTokenCreated(
        TokenId TokenId,
        string Description,
        ImmutableArray<string> Roles,
        LocalDate ExpiresOn,
        string PersonSubject,
        ImmutableArray<string> OwnerMatches,
        string SecretHash,
        Instant At,
        Actor By) : ITokenEvent;
}

/// <summary>One token as stored: what may be shown, plus the secret hash.</summary>
public sealed record StoredAccessToken(AccessTokenInfo Info, string SecretHash);

/// <summary>Snapshot of the whole token store.</summary>
/// <param name="AnyIssued">True once any token was ever created, so the admin bootstrap never runs twice.</param>
public sealed record AccessTokenStoreSnapshot(ImmutableArray<StoredAccessToken> Tokens, bool AnyIssued) : ITokenMessage;
