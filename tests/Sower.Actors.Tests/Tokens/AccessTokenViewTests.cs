using System.Collections.Immutable;
using NodaTime;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenEvents;
using static Sower.Messages.Tokens.AccessTokenNotifications;

namespace Sower.Actors.Tests.Tokens;

/// <summary>A node's copy of the token store (what authentication reads while the store's singleton moves): it answers
/// only while fresh, and a revocation notice takes effect before the journal read catches up.</summary>
public sealed class AccessTokenViewTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly Instant Created = Instant.FromUtc(2026, 5, 1, 11, 0);
    private static readonly LocalDate Today = new(2026, 5, 1);
    private readonly ManualTime _time = new();
    private readonly TokenId _sid = TokenId.New();
    private readonly string _secret = AccessTokenFormat.NewSecret();

    private AccessTokenView ViewWithToken()
    {
        var view = new AccessTokenView(_time);
        view.Apply([(1, new AccessTokenCreated(_sid, "ci", ["seed:write"], Today.PlusDays(1), "system", null, AccessTokenFormat.Hash(_secret), Created))]);
        return view;
    }

    [Fact]
    public void A_fresh_copy_authenticates_a_stored_token_and_never_a_wrong_secret_or_unknown_token()
    {
        var view = ViewWithToken();
        Assert.True(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, _secret), Today, out var info));
        Assert.Equal(_sid, info.Sid);
        Assert.False(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, AccessTokenFormat.NewSecret()), Today, out _));
        Assert.False(view.TryAuthenticate(AccessTokenFormat.Compose(TokenId.New(), _secret), Today, out _));
        Assert.False(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, _secret), Today.PlusDays(2), out _));
    }

    [Fact]
    public void A_revocation_notice_refuses_the_token_before_the_journal_read_has_the_event()
    {
        var view = ViewWithToken();
        view.Handle(new CredentialRevoked(_sid, null, CredentialRevoked.Revoked));
        Assert.False(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, _secret), Today, out _));
        Assert.False(view.TryGet(_sid, out _));
    }

    [Fact]
    public void A_regenerated_token_works_only_with_its_new_secret()
    {
        var view = ViewWithToken();
        var regeneratedAt = Created.Plus(Duration.FromMinutes(30));
        view.Handle(new CredentialRevoked(_sid, regeneratedAt, CredentialRevoked.Regenerated));
        var fresh = AccessTokenFormat.NewSecret();
        view.Apply([(2, new AccessTokenRegenerated(_sid, Today.PlusDays(1), AccessTokenFormat.Hash(fresh), regeneratedAt))]);
        Assert.False(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, _secret), Today, out _));
        Assert.True(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, fresh), Today, out _));
    }

    [Fact]
    public void A_copy_that_has_not_read_the_journal_for_longer_than_the_bound_is_not_used()
    {
        var view = ViewWithToken();
        _time.Now += AccessTokenView.MaxStaleness + TimeSpan.FromMilliseconds(1);
        Assert.False(view.IsFresh);
        Assert.False(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, _secret), Today, out _));
        view.Apply([]);
        Assert.True(view.TryAuthenticate(AccessTokenFormat.Compose(_sid, _secret), Today, out _));
    }

    [Fact]
    public void Events_already_folded_in_are_not_applied_twice()
    {
        var view = ViewWithToken();
        view.Apply([(1, new AccessTokenRevoked(_sid, Created))]);
        Assert.True(view.TryGet(_sid, out _));
        view.Apply([(2, new AccessTokenRevoked(_sid, Created))]);
        Assert.False(view.TryGet(_sid, out _));
        Assert.Equal(2, view.SequenceNr);
    }
}
