using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

/// <summary>Commands to the access-token store. <c>By</c> is who asks: for a token (<see cref="ActorKind.Token"/>) the
/// store checks that token against its own state and applies the management rules of <see cref="AccessTokenStore"/>
/// (only managers may act; a non-admin sees and manages only itself and the tokens it created; expiry limits).
/// <c>ByServer</c> marks a command the server issues on its own behalf (garden enrollment and deletion, bootstrap,
/// break-glass): no caller rules apply. The REST API and the console never set it.</summary>
public static class AccessTokenCommands
{
    /// <param name="ExpiresOn">Null means tomorrow (UTC, never later than the creator allows) for user tokens, and
    /// never for garden credentials.</param>
    public sealed record CreateAccessToken(
        string Description,
        ImmutableArray<string> Roles,
        LocalDate? ExpiresOn,
        Actor By,
        GardenId? GardenId = null,
        bool ByServer = false) : ITokenMessage;

    /// <summary>Issues a new secret under the same sid. Null <paramref name="ExpiresOn"/> keeps the current expiry
    /// (or tomorrow if that has passed, never later than the limits allow); garden credentials keep no expiry.</summary>
    public sealed record RegenerateAccessToken(TokenId TokenId, LocalDate? ExpiresOn, Actor By, bool ByServer = false) : ITokenMessage;

    public sealed record RevokeAccessToken(TokenId TokenId, Actor By, bool ByServer = false) : ITokenMessage;

    /// <summary>A person signed in through OIDC (<paramref name="By"/>, <see cref="ActorKind.Person"/>) mints a CLI token
    /// for themselves, bounded by <paramref name="PersonRoles"/> (their mapped roles now) and the server's lifetime
    /// limit. <paramref name="PersonMatches"/> are the claim values that granted those roles, kept with the token.</summary>
    public sealed record CreatePersonalAccessToken(
        string Description,
        ImmutableArray<string> Roles,
        LocalDate? ExpiresOn,
        Actor By,
        ImmutableArray<string> PersonRoles,
        ImmutableArray<string> PersonMatches) : ITokenMessage;

    /// <summary>Creates the initial admin token if and only if no token was ever issued (first start).</summary>
    public sealed record BootstrapAdminToken : ITokenMessage
    {
        public static readonly BootstrapAdminToken Instance = new();
        private BootstrapAdminToken() { }
    }
}

public static class AccessTokenQueries
{
    /// <summary>The tokens <paramref name="By"/> may see (an admin: every token).</summary>
    public sealed record GetAccessTokens(Actor By, bool ByServer = false) : ITokenMessage;

    public sealed record GetAccessToken(TokenId TokenId, Actor By, bool ByServer = false) : ITokenMessage;

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
    /// <summary>The request is valid but would break an invariant (the last admin token): HTTP 409.</summary>
    public const string Conflict = "conflict";
}
