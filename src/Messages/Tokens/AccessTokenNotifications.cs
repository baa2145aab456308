using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

/// <summary>Published to every cluster node (never persisted) once a change that ends sessions has been persisted.</summary>
public static class AccessTokenNotifications
{
    /// <summary>Sessions authenticated by <paramref name="TokenId"/> are over: every one of them when
    /// <paramref name="IssuedBefore"/> is null (revoked, garden deleted), else only those whose secret was issued before
    /// that instant (regenerated: the new secret's sessions stay). <paramref name="Reason"/> is for logs.</summary>
    public sealed record CredentialRevoked(TokenId TokenId, Instant? IssuedBefore, string Reason) : ITokenMessage
    {
        public const string Revoked = "revoked";
        public const string Regenerated = "regenerated";
        public const string GardenDeleted = "garden deleted";

        /// <summary>Does this notice end a session of <paramref name="sid"/> whose secret was issued at <paramref name="secretIssuedAt"/>
        /// (unknown: treated as old)?</summary>
        public bool Ends(TokenId sid, Instant? secretIssuedAt) =>
            sid == TokenId && (IssuedBefore is not { } before || secretIssuedAt is not { } issued || issued < before);
    }
}
