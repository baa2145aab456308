using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Messages.Tests;

/// <summary>Personal tokens: a person signed in through OIDC mints CLI tokens for themselves, bounded by their mapped
/// roles and the lifetime limit; each use is checked against the role mapping in force.</summary>
public sealed class PersonalTokenRulesTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 10, 12, 0);
    private static readonly LocalDate Today = new(2026, 3, 10);
    private static readonly AccessTokenLimits Limits = new(365);
    private static readonly Actor Alice = Actor.Person("sub-alice", "Alice Admin");
    private static readonly Actor Bob = Actor.Person("sub-bob", "Bob Operator");

    private static OidcRoleMapping Mapping(params (string Claim, string Value, string[] Roles)[] entries) =>
        new(entries.GroupBy(e => e.Claim).ToImmutableSortedDictionary(g => g.Key, g => g.ToImmutableSortedDictionary(e => e.Value, e => e.Roles.ToImmutableArray(), StringComparer.Ordinal), StringComparer.Ordinal));

    private static readonly OidcRoleMapping Ops = Mapping(("groups", "ops", [Roles.DeploymentRead, Roles.DeploymentWrite]));

    private static AccessTokenDecision Mint(AccessTokenStore store, Actor by, ImmutableArray<string> personRoles, LocalDate? expires, params string[] roles) =>
        store.Decide(new CreatePersonalAccessToken("laptop", [.. roles], expires, by, personRoles, ["groups=ops"]), TokenId.New(), AccessTokenFormat.NewSecret(), Now, Limits);

    [Fact]
    public void A_person_mints_a_token_owned_by_them_carrying_their_claim_values_and_the_person_as_creator()
    {
        var decision = Mint(AccessTokenStore.Empty, Bob, [Roles.DeploymentRead, Roles.DeploymentWrite], null, Roles.DeploymentRead);
        var created = Assert.IsType<PersonalAccessTokenCreated>(decision.Event);
        var store = AccessTokenStore.Empty.Apply(created);
        var token = store.Get(created.TokenId)!;
        Assert.Equal("person:sub-bob", token.OwnerSid);
        Assert.Equal("sub-bob", token.OwnerPerson);
        Assert.Equal(["groups=ops"], token.OwnerMatches!.Value.ToArray());
        Assert.Equal(Today.PlusDays(1), token.ExpiresOn);
        Assert.Equal(Bob, token.CreatedBy);
        Assert.Same(token, store.Authenticate(decision.Plaintext, Today));
    }

    [Fact]
    public void A_person_cannot_grant_a_role_their_mapping_does_not_give_them()
    {
        var decision = Mint(AccessTokenStore.Empty, Bob, [Roles.DeploymentRead], null, Roles.Admin);
        Assert.Equal(AccessTokenErrorCodes.Forbidden, decision.Error!.Code);
        Assert.Contains(decision.Error.Errors, e => e.Contains("\"admin\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_personal_token_never_lives_longer_than_the_lifetime_limit_even_for_an_admin_person()
    {
        var decision = Mint(AccessTokenStore.Empty, Alice, [Roles.Admin], Today.PlusDays(366), Roles.SeedRead);
        Assert.Equal(AccessTokenErrorCodes.Invalid, decision.Error!.Code);
        Assert.Null(Mint(AccessTokenStore.Empty, Alice, [Roles.Admin], Today.PlusDays(365), Roles.SeedRead).Error);
    }

    [Fact]
    public void Only_a_person_with_a_mapped_role_mints_personal_tokens()
    {
        Assert.Equal(AccessTokenErrorCodes.Forbidden, Mint(AccessTokenStore.Empty, Actor.Token(TokenId.New(), "a token"), [Roles.Admin], null, Roles.SeedRead).Error!.Code);
        Assert.Equal(AccessTokenErrorCodes.Forbidden, Mint(AccessTokenStore.Empty, Bob, [], null, Roles.SeedRead).Error!.Code);
    }

    [Fact]
    public void A_person_sees_and_revokes_only_their_own_tokens()
    {
        var bobs = (PersonalAccessTokenCreated)Mint(AccessTokenStore.Empty, Bob, [Roles.DeploymentRead], null, Roles.DeploymentRead).Event!;
        var alices = (PersonalAccessTokenCreated)Mint(AccessTokenStore.Empty, Alice, [Roles.Admin], null, Roles.DeploymentRead).Event!;
        var store = AccessTokenStore.Empty.Apply(bobs).Apply(alices);
        var (visible, error) = store.Visible(Bob, false, Now);
        Assert.Null(error);
        Assert.Equal([bobs.TokenId], visible.Select(t => t.Sid).ToArray());
        Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RevokeAccessToken(alices.TokenId, Bob), Now).Error!.Code);
        Assert.IsType<AccessTokenRevoked>(store.Decide(new RevokeAccessToken(bobs.TokenId, Bob), Now).Event);
    }

    [Fact]
    public void A_personal_token_holds_only_while_the_mapping_in_force_grants_its_roles_to_its_owner()
    {
        var created = (PersonalAccessTokenCreated)Mint(AccessTokenStore.Empty, Bob, [Roles.DeploymentRead, Roles.DeploymentWrite], null, Roles.DeploymentWrite).Event!;
        var token = AccessTokenStore.Empty.Apply(created).Get(created.TokenId)!;
        Assert.True(Ops.Grants(token));
        Assert.False(OidcRoleMapping.Empty.Grants(token));                                                  // mapping removed
        Assert.False(Mapping(("groups", "ops", [Roles.DeploymentRead])).Grants(token));                     // role taken away
        Assert.True(Mapping(("groups", "ops", [Roles.Admin])).Grants(token));                               // admin covers it
        Assert.False(Mapping(("groups", "other", [Roles.Admin])).Grants(token));                            // another group
        var ordinary = new AccessTokenInfo(TokenId.New(), "ci", [Roles.Admin], null, "system", null, Now, Now);
        Assert.True(OidcRoleMapping.Empty.Grants(ordinary));                                                // tokens of tokens: unaffected
    }
}
