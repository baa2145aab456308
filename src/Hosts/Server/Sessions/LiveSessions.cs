using System.Collections.Concurrent;
using System.Security.Claims;
using NodaTime;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Server.Auth;
using static Sower.Messages.Tokens.AccessTokenNotifications;

namespace Sower.Server.Sessions;

/// <summary>Timing of the live-session checks; tests may shorten them.</summary>
public sealed record LiveSessionOptions
{
    /// <summary>How often the sweep looks for sessions whose token has expired (cheap: in memory).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often every live session's token is re-checked with the token store: the safety net for a revocation
    /// notice this node missed (DistributedPubSub delivers at most once, e.g. not across a network partition).</summary>
    public TimeSpan RevalidateInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a revocation is remembered, so a session that authenticated just before the notice arrived but
    /// registered just after it is still ended.</summary>
    public Duration RememberRevocations { get; init; } = Duration.FromMinutes(5);
}

/// <summary>What a live session was authenticated with.</summary>
/// <param name="SecretIssuedAt">When its secret was issued (null: unknown, which a regeneration treats as old).</param>
/// <param name="ExpiresOn">Last valid date (UTC), inclusive; null: no expiry (garden credentials).</param>
public sealed record SessionCredential(TokenId Sid, Instant? SecretIssuedAt, LocalDate? ExpiresOn)
{
    public static SessionCredential? From(ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true && user.TokenSid() is { } sid ? new(sid, user.SecretIssuedAt(), user.ExpiresOn()) : null;

    public bool IsExpiredOn(LocalDate todayUtc) => ExpiresOn is { } last && todayUtc > last;
}

/// <summary>One live hub connection or console circuit on this node.</summary>
public sealed class LiveSession(string key, string kind, SessionCredential credential, Action<string> end)
{
    private int _ended;

    public string Key { get; } = key;
    /// <summary>"garden hub", "cli hub", "console": for logs.</summary>
    public string Kind { get; } = kind;
    public SessionCredential Credential { get; } = credential;
    public bool Ended => Volatile.Read(ref _ended) == 1;

    /// <summary>Marks the session ended (every later message is refused) and closes it, once.</summary>
    internal bool End(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1) return false;
        end(reason);
        return true;
    }
}

/// <summary>
/// The live sessions of this node (hub connections and console circuits), by the credential that authenticated them.
/// A revocation notice (from any node, <see cref="ICredentialRevocationHandler"/>), the expiry sweep or a failed
/// re-check ends them: the session is marked ended at once (its next message is refused) and then closed.
/// </summary>
public sealed class LiveSessions(IClock clock, LiveSessionOptions options, ILogger<LiveSessions> log) : ICredentialRevocationHandler
{
    /// <summary>The reason a session ends when its token's expiry date has passed.</summary>
    public const string Expired = "expired";

    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (CredentialRevoked Notice, Instant Until)> _recent = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    /// <summary>Registers a session; it is ended at once when its credential is already expired or was revoked moments
    /// ago. Null when <paramref name="user"/> carries no token (nothing to track).</summary>
    public LiveSession? Open(string key, string kind, ClaimsPrincipal? user, Action<string> end)
    {
        if (SessionCredential.From(user) is not { } credential) return null;
        var session = new LiveSession(key, kind, credential, end);
        _sessions[key] = session;
        if (_recent.TryGetValue(credential.Sid.Value, out var recent) && recent.Notice.Ends(credential.Sid, credential.SecretIssuedAt))
        {
            EndOne(session, recent.Notice.Reason);
        }
        else if (credential.IsExpiredOn(Today)) EndOne(session, Expired);
        return session;
    }

    public void Close(string key) => _sessions.TryRemove(key, out _);

    public LiveSession? Get(string key) => _sessions.GetValueOrDefault(key);

    /// <summary>Is the session still good for one more message? False once ended, or when its token expired since the last sweep.</summary>
    public bool IsUsable(string key)
    {
        if (!_sessions.TryGetValue(key, out var session)) return true; // not tracked (no token): nothing to refuse here
        if (session.Ended) return false;
        if (!session.Credential.IsExpiredOn(Today)) return true;
        EndOne(session, Expired);
        return false;
    }

    public void Handle(CredentialRevoked notice)
    {
        Remember(notice);
        End(s => notice.Ends(s.Credential.Sid, s.Credential.SecretIssuedAt), notice.Reason);
    }

    /// <summary>The periodic re-check's answer for one token whose open sessions hold <paramref name="open"/>: remembered
    /// as <see cref="Handle"/> does, but the sessions are scanned only when one of those credentials is ended by it. The
    /// re-check answers once per open token, so scanning every time cost sessions × tokens (10⁸ at 10,000 gardens).</summary>
    public void HandleRecheck(CredentialRevoked notice, IEnumerable<SessionCredential> open)
    {
        Remember(notice);
        if (open.Any(c => notice.Ends(c.Sid, c.SecretIssuedAt))) End(s => notice.Ends(s.Credential.Sid, s.Credential.SecretIssuedAt), notice.Reason);
    }

    private void Remember(CredentialRevoked notice)
    {
        var until = clock.GetCurrentInstant() + options.RememberRevocations;
        _recent.AddOrUpdate(notice.TokenId.Value, (notice, until), (_, old) => (Stronger(old.Notice, notice), until));
    }

    /// <summary>Ends every session whose token's last valid date has passed; forgets old revocations.</summary>
    public int EndExpired()
    {
        var now = clock.GetCurrentInstant();
        foreach (var (sid, recent) in _recent)
        {
            if (recent.Until <= now) _recent.TryRemove(sid, out _);
        }
        var today = now.InUtc().Date;
        return End(s => s.Credential.IsExpiredOn(today), Expired);
    }

    /// <summary>The distinct credentials of the sessions still open, for the periodic re-check with the token store.</summary>
    public IReadOnlyCollection<SessionCredential> OpenCredentials() =>
        [.. _sessions.Values.Where(s => !s.Ended).Select(s => s.Credential).Distinct()];

    private LocalDate Today => clock.GetCurrentInstant().InUtc().Date;

    private int End(Func<LiveSession, bool> match, string reason)
    {
        var ended = 0;
        foreach (var session in _sessions.Values)
        {
            if (!session.Ended && match(session) && EndOne(session, reason)) ended++;
        }
        return ended;
    }

    private bool EndOne(LiveSession session, string reason)
    {
        try
        {
            if (!session.End(reason)) return false;
            log.LogInformation("{Kind} session of token {TokenId} ended: {Reason}", session.Kind, session.Credential.Sid, reason);
            return true;
        }
        catch (Exception e)
        {
            // Already marked ended, so its messages are refused even if closing failed.
            log.LogWarning(e, "closing the {Kind} session of token {TokenId} failed", session.Kind, session.Credential.Sid);
            return true;
        }
    }

    /// <summary>Of two notices for one sid, the one that ends more sessions (a revocation beats any regeneration; a later
    /// regeneration beats an earlier one).</summary>
    private static CredentialRevoked Stronger(CredentialRevoked a, CredentialRevoked b) =>
        a.IssuedBefore is not { } ia ? a : b.IssuedBefore is not { } ib ? b : ia >= ib ? a : b;
}
