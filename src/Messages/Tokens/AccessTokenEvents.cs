using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

public static class AccessTokenEvents
{
    /// <param name="SecretHash">SHA-256 of the secret, hex; the plaintext is never persisted.</param>
    public sealed record AccessTokenCreated(
        TokenId TokenId,
        string Description,
        ImmutableArray<string> Roles,
        LocalDate? ExpiresOn,
        string OwnerSid,
        GardenId? GardenId,
        string SecretHash,
        Instant At) : ITokenEvent;

    /// <summary>A new secret (and possibly a new expiry) under the same sid; the old secret stops working.</summary>
    public sealed record AccessTokenRegenerated(TokenId TokenId, LocalDate? ExpiresOn, string SecretHash, Instant At) : ITokenEvent;

    public sealed record AccessTokenRevoked(TokenId TokenId, Instant At) : ITokenEvent;
}

/// <summary>One token as stored: what may be shown, plus the secret hash.</summary>
public sealed record StoredAccessToken(AccessTokenInfo Info, string SecretHash);

/// <summary>Snapshot of the whole token store.</summary>
/// <param name="AnyIssued">True once any token was ever created, so the admin bootstrap never runs twice.</param>
public sealed record AccessTokenStoreSnapshot(ImmutableArray<StoredAccessToken> Tokens, bool AnyIssued) : ITokenMessage;
