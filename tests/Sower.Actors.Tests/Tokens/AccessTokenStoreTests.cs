using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;

namespace Sower.Actors.Tests.Tokens;

public sealed class AccessTokenStoreTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 10, 23, 30);
    private static readonly LocalDate Today = new(2026, 3, 10);
    private const string Alice = "user_alice";
    private const string Bob = "user_bob";

    private static (AccessTokenStore Store, AccessTokenCreated Created, string Plaintext) Create(
        AccessTokenStore store, string owner = Alice, LocalDate? expires = null, params string[] roles)
    {
        var decision = store.Decide(new CreateAccessToken("ci", [.. roles.DefaultIfEmpty(Roles.SeedRead)], expires, owner), TokenId.New(),
            AccessTokenFormat.NewSecret(), Now);
        Assert.Null(decision.Error);
        var created = Assert.IsType<AccessTokenCreated>(decision.Event);
        return (store.Apply(created), created, decision.Plaintext!);
    }

    [Fact]
    public void Token_string_is_sower_sid_secret_with_a_48_byte_base64_secret_and_no_underscore_in_sid()
    {
        var (_, created, plaintext) = Create(AccessTokenStore.Empty);
        var parts = plaintext.Split('_');
        Assert.Equal(3, parts.Length);
        Assert.Equal("sower", parts[0]);
        Assert.Equal(created.TokenId.Value, parts[1]);
        Assert.Equal(48, Convert.FromBase64String(parts[2]).Length);
        Assert.DoesNotContain(parts[2], created.SecretHash);
        Assert.Equal(AccessTokenFormat.Hash(parts[2]), created.SecretHash);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sower")]
    [InlineData("sower_abc")]
    [InlineData("Bearer sower_a_b")]
    [InlineData("sower_aaaaaaaaaaaaaaaaaaaaaaaa_secret_extra")]
    [InlineData("other_aaaaaaaaaaaaaaaaaaaaaaaa_secret")]
    [InlineData("sower_AAAAAAAAAAAAAAAAAAAAAAAA_secret")]
    [InlineData("sower_aaaaaaaaaaaaaaaaaaaaaaaa_")]
    public void Malformed_token_strings_do_not_parse(string presented)
    {
        Assert.False(AccessTokenFormat.TryParse(presented, out _, out _));
    }

    [Fact]
    public void Authenticate_accepts_the_plaintext_and_refuses_any_other_secret_or_sid()
    {
        var (store, created, plaintext) = Create(AccessTokenStore.Empty);
        Assert.Equal(created.TokenId, store.Authenticate(plaintext, Today)!.Sid);

        var secret = plaintext.Split('_')[2];
        var wrongSecret = AccessTokenFormat.Compose(created.TokenId, AccessTokenFormat.NewSecret());
        var wrongSid = AccessTokenFormat.Compose(TokenId.New(), secret);
        Assert.Null(store.Authenticate(wrongSecret, Today));
        Assert.Null(store.Authenticate(wrongSid, Today));
        Assert.Null(store.Authenticate(plaintext + "x", Today));
        Assert.Null(store.Authenticate(null, Today));
    }

    [Fact]
    public void Expiry_defaults_to_tomorrow_utc_and_the_token_is_valid_through_the_end_of_that_date()
    {
        var (store, created, plaintext) = Create(AccessTokenStore.Empty);
        Assert.Equal(Today.PlusDays(1), created.ExpiresOn);
        Assert.NotNull(store.Authenticate(plaintext, Today.PlusDays(1)));   // the whole expiry date
        Assert.Null(store.Authenticate(plaintext, Today.PlusDays(2)));      // gone the day after
    }

    [Fact]
    public void An_expiry_date_of_today_is_accepted_and_a_past_date_is_rejected_with_the_exact_message()
    {
        var (_, created, _) = Create(AccessTokenStore.Empty, expires: Today);
        Assert.Equal(Today, created.ExpiresOn);

        var past = AccessTokenStore.Empty.Decide(new CreateAccessToken("ci", [Roles.SeedRead], Today.PlusDays(-1), Alice), TokenId.New(), "s", Now);
        Assert.Equal(AccessTokenErrorCodes.Invalid, past.Error!.Code);
        Assert.Equal("expiry date must not be in the past", past.Error.Message);
        Assert.Contains("expires_on: expiry date must not be in the past", past.Error.Errors);
    }

    [Fact]
    public void Create_reports_every_problem_with_its_path()
    {
        var decision = AccessTokenStore.Empty.Decide(
            new CreateAccessToken("  ", ["seed:read", "root", "admin", "sudo"], Today.PlusDays(-3), Alice), TokenId.New(), "s", Now);
        Assert.Equal(AccessTokenErrorCodes.Invalid, decision.Error!.Code);
        Assert.Equal(
            ["description: required", "roles[1]: unknown role \"root\"", "roles[3]: unknown role \"sudo\"", "expires_on: expiry date must not be in the past"],
            decision.Error.Errors.ToArray());
        Assert.Null(decision.Event);
    }

    [Fact]
    public void Roles_are_required_deduplicated_and_kept_in_canonical_order()
    {
        var none = AccessTokenStore.Empty.Decide(new CreateAccessToken("ci", [], null, Alice), TokenId.New(), "s", Now);
        Assert.Contains("roles: at least one role is required", none.Error!.Errors);

        var (_, created, _) = Create(AccessTokenStore.Empty, roles: [Roles.DeploymentRead, Roles.SeedRead, Roles.SeedRead]);
        Assert.Equal([Roles.SeedRead, Roles.DeploymentRead], created.Roles.ToArray());
    }

    [Theory]
    [InlineData(new[] { Roles.SeedRead }, Roles.SeedWrite, false)]
    [InlineData(new[] { Roles.SeedRead }, Roles.SeedRead, true)]
    [InlineData(new[] { Roles.SeedRead }, Roles.Admin, false)]
    [InlineData(new[] { Roles.Admin }, Roles.DeploymentWrite, true)]
    [InlineData(new[] { Roles.Admin }, Roles.Admin, true)]
    [InlineData(new[] { Roles.Admin }, Roles.Garden, false)]
    [InlineData(new[] { Roles.Garden }, Roles.Garden, false)]
    public void No_token_mints_a_role_it_does_not_hold_and_admin_mints_all_but_garden(string[] caller, string requested, bool allowed)
    {
        var decision = AccessTokenStore.Empty.Decide(
            new CreateAccessToken("ci", [requested], null, Alice, CallerRoles: [.. caller]), TokenId.New(), "s", Now);
        if (allowed) Assert.Null(decision.Error);
        else Assert.Equal(AccessTokenErrorCodes.Forbidden, decision.Error!.Code);
    }

    [Fact]
    public void Garden_credentials_carry_only_the_garden_role_and_never_expire_by_default()
    {
        var garden = GardenId.New();
        var decision = AccessTokenStore.Empty.Decide(new CreateAccessToken("garden web01", [Roles.Garden], null, Alice, garden), TokenId.New(), "s", Now);
        var created = Assert.IsType<AccessTokenCreated>(decision.Event);
        Assert.Null(created.ExpiresOn);
        Assert.Equal(garden, created.GardenId);

        var mixed = AccessTokenStore.Empty.Decide(new CreateAccessToken("g", [Roles.Garden, Roles.Admin], null, Alice, garden), TokenId.New(), "s", Now);
        Assert.Contains("roles: a garden credential carries exactly the garden role", mixed.Error!.Errors);
        var unbound = AccessTokenStore.Empty.Decide(new CreateAccessToken("g", [Roles.Garden], null, Alice), TokenId.New(), "s", Now);
        Assert.Contains("roles: garden is reserved for garden credentials", unbound.Error!.Errors);
    }

    [Fact]
    public void Regenerate_issues_a_new_secret_under_the_same_sid_and_the_old_secret_stops_working()
    {
        var (store, created, oldPlaintext) = Create(AccessTokenStore.Empty);
        var decision = store.Decide(new RegenerateAccessToken(created.TokenId, Today.PlusDays(30), Alice), AccessTokenFormat.NewSecret(), Now);
        var regenerated = Assert.IsType<AccessTokenRegenerated>(decision.Event);
        store = store.Apply(regenerated);

        Assert.Equal(created.TokenId, regenerated.TokenId);
        Assert.StartsWith($"sower_{created.TokenId.Value}_", decision.Plaintext);
        Assert.Null(store.Authenticate(oldPlaintext, Today));
        Assert.Equal(Today.PlusDays(30), store.Authenticate(decision.Plaintext, Today)!.ExpiresOn);
    }

    [Fact]
    public void Regenerate_without_a_date_keeps_a_current_expiry_and_renews_a_lapsed_one_to_tomorrow()
    {
        var (store, created, _) = Create(AccessTokenStore.Empty, expires: Today.PlusDays(5));
        var keep = store.Decide(new RegenerateAccessToken(created.TokenId, null, Alice), "s", Now);
        Assert.Equal(Today.PlusDays(5), ((AccessTokenRegenerated)keep.Event!).ExpiresOn);

        var later = Now.Plus(Duration.FromDays(10));
        var renew = store.Decide(new RegenerateAccessToken(created.TokenId, null, Alice), "s", later);
        Assert.Equal(Today.PlusDays(11), ((AccessTokenRegenerated)renew.Event!).ExpiresOn);

        var past = store.Decide(new RegenerateAccessToken(created.TokenId, Today.PlusDays(-1), Alice), "s", Now);
        Assert.Equal("expiry date must not be in the past", past.Error!.Message);
    }

    [Fact]
    public void Users_only_see_and_manage_their_own_tokens_and_another_owners_token_is_not_found()
    {
        var (store, alices, _) = Create(AccessTokenStore.Empty, Alice);
        (store, var bobs, _) = Create(store, Bob);

        Assert.Equal([alices.TokenId], store.List(Alice).Select(t => t.Sid));
        Assert.Equal(2, store.List(null).Length);
        Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RevokeAccessToken(bobs.TokenId, Alice), Now).Error!.Code);
        Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RegenerateAccessToken(bobs.TokenId, null, Alice), "s", Now).Error!.Code);
        Assert.IsType<AccessTokenRevoked>(store.Decide(new RevokeAccessToken(bobs.TokenId, null), Now).Event);
    }

    [Fact]
    public void A_token_cannot_regenerate_a_sibling_token_with_more_roles_than_it_holds()
    {
        var (store, admin, _) = Create(AccessTokenStore.Empty, Alice, null, Roles.Admin);
        var decision = store.Decide(new RegenerateAccessToken(admin.TokenId, null, Alice, [Roles.SeedRead]), "s", Now);
        Assert.Equal(AccessTokenErrorCodes.Forbidden, decision.Error!.Code);
    }

    [Fact]
    public void Revoked_tokens_no_longer_authenticate_and_are_not_listed()
    {
        var (store, created, plaintext) = Create(AccessTokenStore.Empty);
        store = store.Apply((AccessTokenRevoked)store.Decide(new RevokeAccessToken(created.TokenId, Alice), Now).Event!);
        Assert.Null(store.Authenticate(plaintext, Today));
        Assert.Empty(store.List(null));
        Assert.True(store.AnyIssued);
    }

    [Fact]
    public void Bootstrap_creates_one_admin_token_valid_ten_years_only_while_nothing_was_ever_issued()
    {
        var first = AccessTokenStore.Empty.DecideBootstrap(TokenId.New(), "s", Now);
        var created = Assert.IsType<AccessTokenCreated>(first.Event);
        Assert.Equal([Roles.Admin], created.Roles.ToArray());
        Assert.Equal("initial admin token", created.Description);
        Assert.Equal(Today.PlusYears(10), created.ExpiresOn);

        var store = AccessTokenStore.Empty.Apply(created);
        store = store.Apply(new AccessTokenRevoked(created.TokenId, Now));
        Assert.Null(store.DecideBootstrap(TokenId.New(), "s", Now).Event);
    }

    [Fact]
    public void Snapshot_round_trips_the_state()
    {
        var (store, _, plaintext) = Create(AccessTokenStore.Empty);
        (store, _, _) = Create(store, Bob);
        var restored = AccessTokenStore.FromSnapshot(store.ToSnapshot());
        Assert.Equal(store.List(null).Select(Describe), restored.List(null).Select(Describe));
        Assert.True(restored.AnyIssued);
        Assert.NotNull(restored.Authenticate(plaintext, Today));
    }

    private static string Describe(AccessTokenInfo t) => $"{t.Sid} {t.Description} {string.Join(",", t.Roles)} {t.ExpiresOn} {t.OwnerSid} {t.GardenId} {t.CreatedAt}";

    [Fact]
    public void Roles_satisfy_their_own_policy_and_admin_satisfies_every_policy_but_garden()
    {
        foreach (var role in Roles.All.Remove(Roles.Garden)) Assert.True(Roles.Satisfies([Roles.Admin], role));
        Assert.False(Roles.Satisfies([Roles.Admin], Roles.Garden));
        Assert.True(Roles.Satisfies([Roles.Garden], Roles.Garden));
        Assert.False(Roles.Satisfies([Roles.SeedRead], Roles.SeedWrite));
        Assert.False(Roles.Satisfies(ImmutableArray<string>.Empty, Roles.SeedRead));
    }
}
