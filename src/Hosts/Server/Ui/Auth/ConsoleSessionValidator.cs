using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Tokens;
using Sower.Messages.Domain;
using Sower.Server.Auth;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Ui.Auth;

/// <summary>Is the token behind a console session still good: not revoked, not expired, its secret not regenerated?
/// Every request of a session asks (the page and its assets), so a positive answer is remembered for a few seconds;
/// a revocation through the console forgets it at once.</summary>
public sealed class ConsoleSessionValidator(ActorRegistry registry, IClock clock, ILogger<ConsoleSessionValidator> log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly Duration Remember = Duration.FromSeconds(5);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string? Issued, Instant Until)> _valid = new();

    public void Forget(TokenId token) => _valid.TryRemove(token.Value, out _);

    public async Task<bool> IsValidAsync(ClaimsPrincipal user, CancellationToken cancel)
    {
        if (!ConsoleAuthentication.IsConsoleUser(user) || user.TokenSid() is not { } sid) return false;
        var issued = user.FindFirstValue(ConsoleAuthentication.SecretIssuedClaim);
        var now = clock.GetCurrentInstant();
        if (_valid.TryGetValue(sid.Value, out var known) && known.Issued == issued && now < known.Until) return true;
        try
        {
            var store = await registry.GetAsync<AccessTokensActorKey>(cancel).WaitAsync(Timeout, cancel);
            var reply = await store.Ask<object>(new GetAccessToken(sid, Actor.Server, ByServer: true), Timeout, cancel);
            if (reply is not AccessTokenFound { Token: var token }) return false;
            var valid = token.IsValidOn(now.InUtc().Date) && issued == InstantPattern.ExtendedIso.Format(token.SecretIssuedAt);
            if (valid) _valid[sid.Value] = (issued, now + Remember);
            else _valid.TryRemove(sid.Value, out _);
            return valid;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or OperationCanceledException)
        {
            // The store being briefly unreachable must not sign everyone out; the next check decides.
            log.LogWarning("console session check for token {Token}: the token store did not answer", sid);
            return true;
        }
    }
}
