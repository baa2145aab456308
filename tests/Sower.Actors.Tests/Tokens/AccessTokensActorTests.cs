using Xunit.Abstractions;
using Akka.Actor;
using Akka.Configuration;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Tests.Tokens;

public sealed class AccessTokensActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 5, 1, 12, 0));
    private readonly AccessTokenCache _cache = new();

    public AccessTokensActorTests(ITestOutputHelper output) : base(InMemoryPersistence, output: output) { }

    private IActorRef Store() => Sys.ActorOf(Props.Create(() => new AccessTokensActor(_clock, _cache, new AccessTokensSettings(2))));

    private static readonly Actor Server = Actor.Server;

    /// <summary>Created by the server (owner <c>system</c>), or by the given token.</summary>
    private AccessTokenIssued CreateToken(IActorRef store, AccessTokenIssued? by = null, params string[] roles)
    {
        store.Tell(by is null
            ? new CreateAccessToken("ci", [.. roles.DefaultIfEmpty(Roles.SeedRead)], null, Server, ByServer: true)
            : new CreateAccessToken("ci", [.. roles.DefaultIfEmpty(Roles.SeedRead)], null, Actor.Token(by.TokenId, by.Token.Description)));
        return ExpectMsg<AccessTokenIssued>();
    }

    private static Actor As(AccessTokenIssued token) => Actor.Token(token.TokenId, token.Token.Description);

    private AccessTokenInfo? Authenticate(IActorRef store, string presented)
    {
        store.Tell(new AuthenticateAccessToken(presented));
        return ExpectMsg<AccessTokenAuthenticated>().Token;
    }

    [Fact]
    public void Created_token_authenticates_and_is_listed_for_its_creator_only()
    {
        var store = Store();
        var writerA = CreateToken(store, null, Roles.SeedWrite);
        var writerB = CreateToken(store, null, Roles.SeedWrite);
        var issued = CreateToken(store, writerA, Roles.SeedWrite);
        Assert.Equal(issued.TokenId, Authenticate(store, issued.Plaintext)!.Sid);
        Assert.Equal(writerA.TokenId.Value, issued.Token.OwnerSid);

        store.Tell(new GetAccessTokens(As(writerA)));
        Assert.Equal(new[] { writerA.TokenId.Value, issued.TokenId.Value }.Order(), ExpectMsg<AccessTokenList>().Tokens.Select(t => t.Sid.Value).Order());
        store.Tell(new GetAccessTokens(As(writerB)));
        Assert.Equal([writerB.TokenId], ExpectMsg<AccessTokenList>().Tokens.Select(t => t.Sid));
    }

    [Fact]
    public void Regenerating_replaces_the_secret_and_clears_the_cached_lookup()
    {
        var store = Store();
        var issued = CreateToken(store);
        _cache.Add(issued.Plaintext, Authenticate(store, issued.Plaintext)!);

        store.Tell(new RegenerateAccessToken(issued.TokenId, null, Server, ByServer: true));
        var again = ExpectMsg<AccessTokenIssued>();

        Assert.Equal(issued.TokenId, again.TokenId);
        Assert.False(_cache.TryGet(issued.Plaintext, out _));
        Assert.Null(Authenticate(store, issued.Plaintext));
        Assert.NotNull(Authenticate(store, again.Plaintext));
    }

    [Fact]
    public void Revoking_answers_after_persisting_and_the_token_stops_working_at_once()
    {
        var store = Store();
        var issued = CreateToken(store);
        _cache.Add(issued.Plaintext, Authenticate(store, issued.Plaintext)!);

        store.Tell(new RevokeAccessToken(issued.TokenId, Server, ByServer: true));
        ExpectMsg<AccessTokenRevocationConfirmed>(m => m.TokenId == issued.TokenId);
        Assert.False(_cache.TryGet(issued.Plaintext, out _));
        Assert.Null(Authenticate(store, issued.Plaintext));

        store.Tell(new RevokeAccessToken(issued.TokenId, Server, ByServer: true));
        ExpectMsg<AccessTokenError>(e => e.Code == AccessTokenErrorCodes.NotFound);
    }

    [Fact]
    public void Another_creators_token_answers_not_found()
    {
        var store = Store();
        var writerA = CreateToken(store, null, Roles.SeedWrite);
        var writerB = CreateToken(store, null, Roles.SeedWrite);
        var issued = CreateToken(store, writerA, Roles.SeedWrite);
        store.Tell(new RevokeAccessToken(issued.TokenId, As(writerB)));
        ExpectMsg<AccessTokenError>(e => e.Code == AccessTokenErrorCodes.NotFound);
        store.Tell(new GetAccessToken(issued.TokenId, As(writerB)));
        ExpectMsg<AccessTokenError>(e => e.Code == AccessTokenErrorCodes.NotFound);
        store.Tell(new GetAccessToken(issued.TokenId, As(writerA)));
        ExpectMsg<AccessTokenFound>();
    }

    [Fact]
    public void Invalid_commands_are_refused_without_persisting_anything()
    {
        var store = Store();
        store.Tell(new CreateAccessToken("", ["nope"], new LocalDate(2026, 4, 30), Server, ByServer: true));
        var error = ExpectMsg<AccessTokenError>();
        Assert.Equal(AccessTokenErrorCodes.Invalid, error.Code);
        Assert.Equal(3, error.Errors.Length);
        store.Tell(new GetAccessTokens(Server, ByServer: true));
        Assert.Empty(ExpectMsg<AccessTokenList>().Tokens);
    }

    [Fact]
    public void Tokens_expire_after_the_end_of_their_expiry_date_by_the_injected_clock()
    {
        var store = Store();
        var issued = CreateToken(store);  // expires tomorrow, 2026-05-02
        _clock.AdvanceDays(1);
        Assert.NotNull(Authenticate(store, issued.Plaintext));
        _clock.AdvanceDays(1);
        Assert.Null(Authenticate(store, issued.Plaintext));
    }

    [Fact]
    public void Bootstrap_issues_one_admin_token_and_then_reports_it_already_happened()
    {
        var store = Store();
        store.Tell(BootstrapAdminToken.Instance);
        var issued = ExpectMsg<AccessTokenIssued>();
        Assert.Equal([Roles.Admin], issued.Token.Roles.ToArray());
        store.Tell(BootstrapAdminToken.Instance);
        ExpectMsg<AdminTokenAlreadyBootstrapped>();
    }

    [Fact]
    public void A_restarted_actor_recovers_from_events_and_snapshots()
    {
        var store = Store();
        var tokens = Enumerable.Range(0, 5).Select(_ => CreateToken(store)).ToList();
        store.Tell(new RevokeAccessToken(tokens[0].TokenId, Server, ByServer: true));
        ExpectMsg<AccessTokenRevocationConfirmed>();
        Watch(store);
        Sys.Stop(store);
        ExpectTerminated(store);

        var recovered = Store();
        Assert.Null(Authenticate(recovered, tokens[0].Plaintext));
        foreach (var t in tokens.Skip(1)) Assert.Equal(t.TokenId, Authenticate(recovered, t.Plaintext)!.Sid);
        recovered.Tell(BootstrapAdminToken.Instance);
        ExpectMsg<AdminTokenAlreadyBootstrapped>();
    }
}
