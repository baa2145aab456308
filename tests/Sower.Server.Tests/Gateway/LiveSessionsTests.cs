using System.Security.Claims;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using NodaTime.Testing;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using Sower.Server.Sessions;
using static Sower.Messages.Tokens.AccessTokenNotifications;

namespace Sower.Server.Tests.Gateway;

/// <summary>The per-node registry of live sessions, without a server: which notice ends which session, and that an
/// ended session's messages are refused even before its connection is gone.</summary>
public sealed class LiveSessionsTests
{
    private static readonly Instant Issued = Instant.FromUtc(2026, 5, 1, 12, 0);
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 5, 2, 23, 59, 58));
    private readonly LiveSessions _sessions;

    public LiveSessionsTests() => _sessions = new LiveSessions(_clock, new LiveSessionOptions(), NullLogger<LiveSessions>.Instance);

    private static ClaimsPrincipal User(TokenId sid, Instant issued, LocalDate? expiresOn = null) =>
        AccessTokenPrincipal.Create(new AccessTokenInfo(sid, "t", [Roles.SeedWrite], expiresOn, "system", null, issued, issued), "Bearer");

    [Fact]
    public void A_revoked_sessions_messages_are_refused_even_while_its_connection_is_still_closing()
    {
        var sid = TokenId.New();
        var closed = 0;
        _sessions.Open("hub:a", "cli hub", User(sid, Issued), _ => closed++); // closing takes a while: nothing happens yet
        Assert.True(_sessions.IsUsable("hub:a"));

        _sessions.Handle(new CredentialRevoked(sid, null, CredentialRevoked.Revoked));

        Assert.False(_sessions.IsUsable("hub:a"));
        Assert.Equal(1, closed);
        _sessions.Handle(new CredentialRevoked(sid, null, CredentialRevoked.Revoked));
        Assert.Equal(1, closed);
    }

    [Fact]
    public void A_regeneration_ends_the_old_secrets_sessions_and_keeps_the_new_ones()
    {
        var sid = TokenId.New();
        var regenerated = Issued + Duration.FromHours(1);
        _sessions.Open("hub:old", "garden hub", User(sid, Issued), _ => { });
        _sessions.Open("hub:new", "garden hub", User(sid, regenerated), _ => { });
        _sessions.Open("hub:other", "garden hub", User(TokenId.New(), Issued), _ => { });

        _sessions.Handle(new CredentialRevoked(sid, regenerated, CredentialRevoked.Regenerated));

        Assert.False(_sessions.IsUsable("hub:old"));
        Assert.True(_sessions.IsUsable("hub:new"));
        Assert.True(_sessions.IsUsable("hub:other"));
    }

    [Fact]
    public void The_periodic_recheck_ends_exactly_what_the_notice_would_and_only_scans_when_something_is_stale()
    {
        var current = TokenId.New();
        var regenerated = TokenId.New();
        var newSecret = Issued + Duration.FromHours(1);
        _sessions.Open("hub:current", "garden hub", User(current, Issued), _ => { });
        _sessions.Open("hub:stale", "garden hub", User(regenerated, Issued), _ => { });
        _sessions.Open("hub:fresh", "garden hub", User(regenerated, newSecret), _ => { });
        var open = _sessions.OpenCredentials().ToLookup(c => c.Sid);

        // The store still has the secret these sessions hold: nothing ends.
        _sessions.HandleRecheck(new CredentialRevoked(current, Issued, CredentialRevoked.Regenerated), open[current]);
        Assert.True(_sessions.IsUsable("hub:current"));

        // The store has a newer secret: the old secret's session ends, the new one's stays (as Handle would).
        _sessions.HandleRecheck(new CredentialRevoked(regenerated, newSecret, CredentialRevoked.Regenerated), open[regenerated]);
        Assert.False(_sessions.IsUsable("hub:stale"));
        Assert.True(_sessions.IsUsable("hub:fresh"));
        Assert.True(_sessions.IsUsable("hub:current"));

        // A token the store no longer knows: revoked, and remembered for a session that registers just after.
        _sessions.HandleRecheck(new CredentialRevoked(current, null, CredentialRevoked.Revoked), open[current]);
        Assert.False(_sessions.IsUsable("hub:current"));
        var closed = false;
        _sessions.Open("hub:late", "garden hub", User(current, Issued), _ => closed = true);
        Assert.True(closed);
    }

    [Fact]
    public void A_session_registered_just_after_its_revocation_arrived_is_ended_at_once()
    {
        var sid = TokenId.New();
        _sessions.Handle(new CredentialRevoked(sid, null, CredentialRevoked.Revoked));
        var closed = false;

        _sessions.Open("hub:late", "cli hub", User(sid, Issued), _ => closed = true);

        Assert.True(closed);
        Assert.False(_sessions.IsUsable("hub:late"));
    }

    [Fact]
    public void A_token_is_usable_through_the_end_of_its_expiry_date_and_swept_after()
    {
        var today = _clock.GetCurrentInstant().InUtc().Date;
        var closed = false;
        _sessions.Open("circuit:x", "console", User(TokenId.New(), Issued, today), _ => closed = true);
        Assert.Equal(0, _sessions.EndExpired());
        Assert.True(_sessions.IsUsable("circuit:x"));

        _clock.Advance(Duration.FromSeconds(3));

        Assert.Equal(1, _sessions.EndExpired());
        Assert.True(closed);
        Assert.False(_sessions.IsUsable("circuit:x"));
    }

    [Fact]
    public void A_principal_without_a_token_is_not_tracked()
    {
        Assert.Null(_sessions.Open("hub:anon", "cli hub", new ClaimsPrincipal(new ClaimsIdentity()), _ => { }));
        Assert.True(_sessions.IsUsable("hub:anon"));
    }
}
