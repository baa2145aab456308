using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using Sower.Server.Configuration;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Ui.Auth;

/// <summary>What the token store said about a console session: valid, not (revoked, expired, regenerated), or nothing in time.</summary>
public enum SessionCheck
{
    Valid,
    Invalid,
    Unconfirmed,
}

/// <summary>Is the token behind a console session still good: not revoked, not expired, its secret not regenerated?
/// Every request of a session asks (the page and its assets), so a positive answer is remembered for a few seconds;
/// a revocation (on any node) forgets it at once.</summary>
public sealed class ConsoleSessionValidator(ActorRegistry registry, IClock clock, ILogger<ConsoleSessionValidator> log, ServerOptions? server = null,
    AccessTokenView? view = null)
    : ICredentialRevocationHandler
{
    /// <summary>How long a check waits for the token store; settable so a test can make a slow store fail fast.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    private static readonly Duration Remember = Duration.FromSeconds(5);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string? Issued, Instant Until)> _valid = new();

    public void Forget(TokenId token) => _valid.TryRemove(token.Value, out _);

    /// <summary>A revocation on any node: the next request of that session asks the store again.</summary>
    public void Handle(CredentialRevoked notice) => Forget(notice.TokenId);

    /// <summary>
    /// For viewing: a store that does not answer keeps the session (a slow store must not sign everyone out; the next
    /// check decides).
    /// </summary>
    public async Task<bool> IsValidAsync(ClaimsPrincipal user, CancellationToken cancel) =>
        await CheckAsync(user, cancel) is SessionCheck.Valid or SessionCheck.Unconfirmed;

    /// <summary>
    /// For acting: only a session the store confirmed (now, or within the last few seconds) may act. A store that does
    /// not answer fails closed, or a revoked token could act for as long as the store is slow.
    /// </summary>
    public async Task<bool> IsConfirmedAsync(ClaimsPrincipal user, CancellationToken cancel) =>
        await CheckAsync(user, cancel) is SessionCheck.Valid;

    public async Task<SessionCheck> CheckAsync(ClaimsPrincipal user, CancellationToken cancel)
    {
        // A person (OIDC): valid while OIDC is configured and the mapping in force still grants the session's roles.
        if (user.IsPerson())
        {
            return ConsoleAuthentication.IsConsoleUser(user) && server?.Auth is { OidcEnabled: true } auth && user.StillMapped(auth.OidcRoleMapping)
                ? SessionCheck.Valid
                : SessionCheck.Invalid;
        }
        if (!ConsoleAuthentication.IsConsoleUser(user) || user.TokenSid() is not { } sid) return SessionCheck.Invalid;
        var issued = user.FindFirstValue(ConsoleAuthentication.SecretIssuedClaim);
        var now = clock.GetCurrentInstant();
        if (_valid.TryGetValue(sid.Value, out var known) && known.Issued == issued && now < known.Until) return SessionCheck.Valid;
        try
        {
            AccessTokenInfo token;
            // This node's copy of the store first (it survives the store's singleton moving); a miss asks the store.
            if (view is not null && view.TryGet(sid, out var replicated)) token = replicated;
            else
            {
                var store = await registry.GetAsync<AccessTokensActorKey>(cancel).WaitAsync(Timeout, cancel);
                var reply = await store.Ask<object>(new GetAccessToken(sid, Actor.Server, ByServer: true), Timeout, cancel);
                if (reply is not AccessTokenFound { Token: var found }) return SessionCheck.Invalid;
                token = found;
            }
            var valid = token.IsValidOn(now.InUtc().Date) && issued == InstantPattern.ExtendedIso.Format(token.SecretIssuedAt)
                && (server?.Auth ?? new AuthOptions()).Allows(token);
            if (valid) _valid[sid.Value] = (issued, now + Remember);
            else _valid.TryRemove(sid.Value, out _);
            return valid ? SessionCheck.Valid : SessionCheck.Invalid;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or OperationCanceledException)
        {
            log.LogWarning("console session check for token {TokenId}: the token store did not answer", sid);
            return SessionCheck.Unconfirmed;
        }
    }
}
