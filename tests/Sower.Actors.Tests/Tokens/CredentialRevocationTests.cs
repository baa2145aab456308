using Sower.Messages.Domain;
using Xunit.Abstractions;
using Akka.Actor;
using Akka.Configuration;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Tests.Tokens;

/// <summary>The store tells every node (here: the local EventStream of a plain actor system) which sessions are over,
/// after persisting; each node's subscriber forgets its cached lookups and passes the notice on.</summary>
public sealed class CredentialRevocationTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 5, 1, 12, 0));

    public CredentialRevocationTests(ITestOutputHelper output) : base(InMemoryPersistence, output: output) { }

    private IActorRef Store() => Sys.ActorOf(Props.Create(() => new AccessTokensActor(_clock, null, null)));

    private AccessTokenIssued Create(IActorRef store)
    {
        store.Tell(new CreateAccessToken("ci", [Roles.SeedRead], null, Actor.Server, ByServer: true));
        return ExpectMsg<AccessTokenIssued>();
    }

    [Fact]
    public void Revoking_publishes_that_every_session_of_the_token_is_over()
    {
        var store = Store();
        var issued = Create(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CredentialRevoked));

        store.Tell(new RevokeAccessToken(issued.TokenId, Actor.Server, ByServer: true));

        // Published before the reply, so the caller's answer never comes before the other nodes could hear of it.
        var notice = ExpectMsg<CredentialRevoked>();
        ExpectMsg<AccessTokenRevocationConfirmed>();
        Assert.Equal(issued.TokenId, notice.TokenId);
        Assert.Null(notice.IssuedBefore);
        Assert.True(notice.Ends(issued.TokenId, issued.Token.SecretIssuedAt));
    }

    [Fact]
    public void Regenerating_publishes_that_only_the_older_secrets_sessions_are_over()
    {
        var store = Store();
        var issued = Create(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CredentialRevoked));
        _clock.Advance(Duration.FromMinutes(5));

        store.Tell(new RegenerateAccessToken(issued.TokenId, null, Actor.Server, ByServer: true));

        var notice = ExpectMsg<CredentialRevoked>();
        var again = ExpectMsg<AccessTokenIssued>();
        Assert.Equal(again.Token.SecretIssuedAt, notice.IssuedBefore);
        Assert.True(notice.Ends(issued.TokenId, issued.Token.SecretIssuedAt));
        Assert.False(notice.Ends(issued.TokenId, again.Token.SecretIssuedAt));
    }

    [Fact]
    public void Creating_and_reading_tokens_publishes_nothing()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(CredentialRevoked));
        var store = Store();
        var issued = Create(store);
        store.Tell(new GetAccessToken(issued.TokenId, Actor.Server, ByServer: true));
        ExpectMsg<AccessTokenFound>();
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void The_subscriber_forgets_the_nodes_cached_lookups_and_tells_every_handler_even_after_one_fails()
    {
        var cache = new AccessTokenCache();
        var store = Store();
        var issued = Create(store);
        cache.Add(issued.Plaintext, issued.Token);
        var seen = new Recording();
        Sys.ActorOf(Props.Create(() => new CredentialRevocationSubscriber(new ICredentialRevocationHandler[] { new Failing(), seen }, cache)));

        // The subscriber subscribes as it starts: publish until it has heard.
        AwaitAssert(() =>
        {
            CredentialRevocations.Publish(Sys, new CredentialRevoked(issued.TokenId, null, CredentialRevoked.Revoked));
            Assert.False(cache.TryGet(issued.Plaintext, out _));
            Assert.Contains(issued.TokenId, seen.Sids);
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
    }

    private sealed class Recording : ICredentialRevocationHandler
    {
        public readonly System.Collections.Concurrent.ConcurrentBag<Sower.Messages.Domain.TokenId> Sids = [];
        public void Handle(CredentialRevoked notice) => Sids.Add(notice.TokenId);
    }

    private sealed class Failing : ICredentialRevocationHandler
    {
        public void Handle(CredentialRevoked notice) => throw new InvalidOperationException("boom");
    }
}
