using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Ui.Auth;

/// <summary>Is the token behind a console session still good: not revoked, not expired, its secret not regenerated?</summary>
public sealed class ConsoleSessionValidator(ActorRegistry registry, IClock clock, ILogger<ConsoleSessionValidator> log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<bool> IsValidAsync(ClaimsPrincipal user, CancellationToken cancel)
    {
        if (!ConsoleAuthentication.IsConsoleUser(user) || user.TokenSid() is not { } sid) return false;
        try
        {
            var store = await registry.GetAsync<AccessTokensActorKey>(cancel).WaitAsync(Timeout, cancel);
            var reply = await store.Ask<object>(new GetAccessToken(sid, null), Timeout, cancel);
            if (reply is not AccessTokenFound { Token: var token }) return false;
            var issued = user.FindFirstValue(ConsoleAuthentication.SecretIssuedClaim);
            return token.IsValidOn(clock.GetCurrentInstant().InUtc().Date) && issued == InstantPattern.ExtendedIso.Format(token.SecretIssuedAt);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or OperationCanceledException)
        {
            // The store being briefly unreachable must not sign everyone out; the next check decides.
            log.LogWarning("console session check for token {Token}: the token store did not answer", sid);
            return true;
        }
    }
}
