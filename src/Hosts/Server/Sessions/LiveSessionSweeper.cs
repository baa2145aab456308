using Sower.Messages.Domain;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Server.Tokens;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Sessions;

/// <summary>
/// Ends, on this node, the live sessions no notice told us about: every <see cref="LiveSessionOptions.SweepInterval"/>
/// those whose token's last valid date has passed (by <see cref="IClock"/>: tokens are valid through the end of their
/// expiry date), and every <see cref="LiveSessionOptions.RevalidateInterval"/> those whose token the store no longer
/// knows or has given a newer secret (a revocation notice lost on the way).
/// </summary>
public sealed class LiveSessionSweeper(LiveSessions sessions, LiveSessionOptions options, ActorRegistry registry, IClock clock,
    ILogger<LiveSessionSweeper> log) : BackgroundService
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval);
        var nextRevalidation = DateTime.UtcNow + options.RevalidateInterval;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            sessions.EndExpired();
            if (DateTime.UtcNow < nextRevalidation) continue;
            nextRevalidation = DateTime.UtcNow + options.RevalidateInterval;
            try
            {
                await RevalidateAsync(stoppingToken);
            }
            catch (Exception e) when (e is AskTimeoutException or TimeoutException)
            {
                log.LogWarning("re-checking live sessions: the token store did not answer; trying again in {Interval}", options.RevalidateInterval);
            }
        }
    }

    private async Task RevalidateAsync(CancellationToken cancel)
    {
        var credentials = sessions.OpenCredentials();
        if (credentials.Count == 0) return;
        var store = await registry.GetAsync<AccessTokensActorKey>(cancel).WaitAsync(AskTimeout, cancel);
        foreach (var open in credentials.GroupBy(c => c.Sid))
        {
            var sid = open.Key;
            var reply = await store.Ask<object>(new GetAccessToken(sid, Actor.Server, ByServer: true), AskTimeout, cancel);
            var today = clock.GetCurrentInstant().InUtc().Date;
            if (reply is AccessTokenFound { Token: var token })
            {
                if (!token.IsValidOn(today)) sessions.HandleRecheck(new CredentialRevoked(sid, null, LiveSessions.Expired), open);
                else sessions.HandleRecheck(new CredentialRevoked(sid, token.SecretIssuedAt, CredentialRevoked.Regenerated), open);
            }
            else if (reply is AccessTokenError) sessions.HandleRecheck(new CredentialRevoked(sid, null, CredentialRevoked.Revoked), open);
        }
    }
}
