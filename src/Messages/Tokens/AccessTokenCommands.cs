using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

/// <summary>Commands to the access-token store. <c>OwnerSid</c> on regenerate/revoke restricts the command to that
/// owner's tokens (another owner's token answers not found); null acts for the system or an admin.
/// <c>CallerRoles</c> is the role set of the token making the request (no token can mint a role it does not hold);
/// null means a trusted system caller (e.g. garden enrollment).</summary>
public static class AccessTokenCommands
{
    /// <param name="ExpiresOn">Null means tomorrow (UTC) for user tokens, and never for garden credentials.</param>
    public sealed record CreateAccessToken(
        string Description,
        ImmutableArray<string> Roles,
        LocalDate? ExpiresOn,
        string OwnerSid,
        GardenId? GardenId = null,
        ImmutableArray<string>? CallerRoles = null) : ITokenMessage;

    /// <summary>Issues a new secret under the same sid. Null <paramref name="ExpiresOn"/> keeps the current expiry
    /// (or tomorrow if that has passed); garden credentials keep no expiry.</summary>
    public sealed record RegenerateAccessToken(
        TokenId TokenId,
        LocalDate? ExpiresOn,
        string? OwnerSid,
        ImmutableArray<string>? CallerRoles = null) : ITokenMessage;

    public sealed record RevokeAccessToken(TokenId TokenId, string? OwnerSid) : ITokenMessage;

    /// <summary>Creates the initial admin token if and only if no token was ever issued (first start).</summary>
    public sealed record BootstrapAdminToken : ITokenMessage
    {
        public static readonly BootstrapAdminToken Instance = new();
        private BootstrapAdminToken() { }
    }
}

public static class AccessTokenQueries
{
    /// <summary>Null owner lists every token (admin).</summary>
    public sealed record GetAccessTokens(string? OwnerSid) : ITokenMessage;

    public sealed record GetAccessToken(TokenId TokenId, string? OwnerSid) : ITokenMessage;

    /// <summary>Checks a presented <c>sower_…</c> string: format, sid, expiry and secret.</summary>
    public sealed record AuthenticateAccessToken(string Presented) : ITokenMessage
    {
        // Never print the secret in logs or dead letters.
        public override string ToString() => "AuthenticateAccessToken { Presented = *** }";
    }
}

public static class AccessTokenReplies
{
    /// <summary>The only message that ever carries a token's plaintext.</summary>
    public sealed record AccessTokenIssued(TokenId TokenId, string Plaintext, AccessTokenInfo Token) : ITokenMessage
    {
        public override string ToString() => $"AccessTokenIssued {{ TokenId = {TokenId}, Token = {Token} }}";
    }

    /// <summary>Null <paramref name="Token"/>: not authenticated (any reason; callers answer the same 401).</summary>
    public sealed record AccessTokenAuthenticated(AccessTokenInfo? Token) : ITokenMessage;

    public sealed record AccessTokenList(ImmutableArray<AccessTokenInfo> Tokens) : ITokenMessage;

    public sealed record AccessTokenFound(AccessTokenInfo Token) : ITokenMessage;

    public sealed record AccessTokenRevocationConfirmed(TokenId TokenId) : ITokenMessage;

    public sealed record AdminTokenAlreadyBootstrapped : ITokenMessage
    {
        public static readonly AdminTokenAlreadyBootstrapped Instance = new();
        private AdminTokenAlreadyBootstrapped() { }
    }

    /// <param name="Code">One of <see cref="AccessTokenErrorCodes"/>.</param>
    /// <param name="Errors">Every problem, each prefixed with its field path (for 422 bodies).</param>
    public sealed record AccessTokenError(string Code, string Message, ImmutableArray<string> Errors) : ITokenMessage;
}

public static class AccessTokenErrorCodes
{
    public const string Invalid = "invalid";
    public const string NotFound = "not_found";
    public const string Forbidden = "forbidden";
}
