using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;

namespace Sower.Messages.Tests;

/// <summary>The token store's pure rules (REFERENCE §6.15, issue 12 finding 1): format, expiry, roles, who may manage
/// whom, expiry limits and the last admin token. No actors: decide, apply, assert.</summary>
public sealed class AccessTokenRulesTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 10, 23, 30);
    private static readonly LocalDate Today = new(2026, 3, 10);
    private static readonly AccessTokenLimits Limits = new(365);

    /// <summary>A store holding the bootstrap admin token, and that token.</summary>
    private static (AccessTokenStore Store, AccessTokenInfo Admin) Bootstrapped()
    {
        var created = (AccessTokenCreated)AccessTokenStore.Empty.DecideBootstrap(TokenId.New(), "s", Now).Event!;
        var store = AccessTokenStore.Empty.Apply(created);
        return (store, store.Get(created.TokenId)!);
    }

    private static Actor As(AccessTokenInfo token) => Actor.Token(token.Sid, token.Description);

    private static AccessTokenDecision Try(AccessTokenStore store, AccessTokenInfo? by, LocalDate? expires, params string[] roles) =>
        store.Decide(by is null
            ? new CreateAccessToken("made", [.. roles], expires, Actor.Server, ByServer: true)
            : new CreateAccessToken("made by " + by.Description, [.. roles], expires, As(by)), TokenId.New(), AccessTokenFormat.NewSecret(), Now, Limits);

    private static (AccessTokenStore Store, AccessTokenInfo Token, string Plaintext) Create(AccessTokenStore store, AccessTokenInfo? by, LocalDate? expires = null,
        params string[] roles)
    {
        var decision = Try(store, by, expires, roles.Length == 0 ? [Roles.SeedRead] : roles);
        Assert.Null(decision.Error);
        var created = Assert.IsType<AccessTokenCreated>(decision.Event);
        store = store.Apply(created);
        return (store, store.Get(created.TokenId)!, decision.Plaintext!);
    }

    // ─── format, expiry, roles (as before) ───

    [Fact]
    public void Token_string_is_sower_sid_secret_with_a_48_byte_base64_secret_and_only_its_hash_is_stored()
    {
        var (store, admin) = Bootstrapped();
        var decision = Try(store, admin, null, Roles.SeedRead);
        var created = Assert.IsType<AccessTokenCreated>(decision.Event);
        var parts = decision.Plaintext!.Split('_');
        Assert.Equal(["sower", created.TokenId.Value], parts[..2]);
        Assert.Equal(48, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(AccessTokenFormat.Hash(parts[2]), created.SecretHash);
    }

    [Fact]
    public void Authenticate_accepts_the_plaintext_through_the_end_of_the_expiry_date_and_nothing_else()
    {
        var (store, admin) = Bootstrapped();
        var (withToken, token, plaintext) = Create(store, admin);
        Assert.Equal(Today.PlusDays(1), token.ExpiresOn);
        Assert.Equal(token.Sid, withToken.Authenticate(plaintext, Today.PlusDays(1))!.Sid);
        Assert.Null(withToken.Authenticate(plaintext, Today.PlusDays(2)));
        Assert.Null(withToken.Authenticate($"sower_{token.Sid.Value}_{AccessTokenFormat.NewSecret()}", Today));
    }

    [Fact]
    public void A_past_expiry_is_refused_with_the_exact_message_and_every_problem_has_its_path()
    {
        var (store, admin) = Bootstrapped();
        var past = Try(store, admin, Today.PlusDays(-1), Roles.SeedRead);
        Assert.Equal("expiry date must not be in the past", past.Error!.Message);
        var many = store.Decide(new CreateAccessToken("  ", ["seed:read", "root"], Today.PlusDays(-3), As(admin)), TokenId.New(), "s", Now, Limits);
        Assert.Equal(AccessTokenErrorCodes.Invalid, many.Error!.Code);
        Assert.Equal(["description: required", "roles[1]: unknown role \"root\"", "expires_on: expiry date must not be in the past"], many.Error.Errors.ToArray());
    }

    [Theory]
    [InlineData(new[] { Roles.SeedWrite }, Roles.SeedRead, false)]
    [InlineData(new[] { Roles.SeedWrite }, Roles.SeedWrite, true)]
    [InlineData(new[] { Roles.DeploymentWrite }, Roles.Admin, false)]
    [InlineData(new[] { Roles.Admin }, Roles.GardenRegister, true)]
    [InlineData(new[] { Roles.Admin }, Roles.Garden, false)]
    public void No_token_mints_a_role_it_does_not_hold_and_admin_mints_all_but_garden(string[] held, string requested, bool allowed)
    {
        var (store, admin) = Bootstrapped();
        var (withCaller, caller, _) = Create(store, admin, null, held);
        var decision = Try(withCaller, caller, null, requested);
        Assert.Equal(allowed, decision.Error is null);
        if (!allowed) Assert.Equal(AccessTokenErrorCodes.Forbidden, decision.Error!.Code);
    }

    [Fact]
    public void Garden_credentials_are_issued_by_the_server_only_carry_only_the_garden_role_and_never_expire()
    {
        var (store, admin) = Bootstrapped();
        var garden = GardenId.New();
        var issued = store.Decide(new CreateAccessToken("garden web01", [Roles.Garden], null, As(admin), garden, ByServer: true), TokenId.New(), "s", Now, Limits);
        var created = Assert.IsType<AccessTokenCreated>(issued.Event);
        Assert.Null(created.ExpiresOn);
        Assert.Equal(AccessTokenStore.BootstrapOwner, created.OwnerSid);
        var byAdminToken = store.Decide(new CreateAccessToken("g", [Roles.Garden], null, As(admin), garden), TokenId.New(), "s", Now, Limits);
        Assert.Equal(AccessTokenErrorCodes.Forbidden, byAdminToken.Error!.Code);
    }

    // ─── who may manage tokens at all ───

    [Theory]
    [InlineData(Roles.Admin, true)]
    [InlineData(Roles.SeedWrite, true)]
    [InlineData(Roles.DeploymentWrite, true)]
    [InlineData(Roles.SeedRead, false)]
    [InlineData(Roles.GardenRead, false)]
    [InlineData(Roles.DeploymentRead, false)]
    [InlineData(Roles.NixCacheRead, false)]
    [InlineData(Roles.GardenRegister, false)]
    [InlineData(Roles.Garden, false)]
    public void Only_admin_seed_write_and_deployment_write_may_manage_tokens(string role, bool manager)
    {
        Assert.Equal(manager, AccessTokenStore.MayManageTokens([role]));
        if (role == Roles.Garden) return;
        var (store, admin) = Bootstrapped();
        var (withCaller, caller, _) = Create(store, admin, null, role);
        var create = Try(withCaller, caller, null, role);
        var list = withCaller.Visible(As(caller), false, Now);
        var revokeSelf = withCaller.Decide(new RevokeAccessToken(caller.Sid, As(caller)), Now);
        if (manager)
        {
            Assert.Null(create.Error);
            Assert.Null(list.Error);
            Assert.Null(revokeSelf.Error);
        }
        else
        {
            Assert.Equal(AccessTokenErrorCodes.Forbidden, create.Error!.Code);
            Assert.Equal(AccessTokenErrorCodes.Forbidden, list.Error!.Code);
            Assert.Equal(AccessTokenErrorCodes.Forbidden, revokeSelf.Error!.Code);
        }
    }

    [Fact]
    public void A_revoked_or_expired_caller_is_refused()
    {
        var (store, admin) = Bootstrapped();
        var (withWriter, writer, _) = Create(store, admin, Today, Roles.SeedWrite);
        Assert.Null(Try(withWriter, writer, null, Roles.SeedWrite).Error);
        var tomorrow = Now.Plus(Duration.FromDays(1));
        var late = withWriter.Decide(new CreateAccessToken("x", [Roles.SeedWrite], null, As(writer)), TokenId.New(), "s", tomorrow, Limits);
        Assert.Equal(AccessTokenStore.CallerInvalidMessage, late.Error!.Message);
        var revoked = withWriter.Apply(new AccessTokenRevoked(writer.Sid, Now));
        Assert.Equal(AccessTokenErrorCodes.Forbidden, Try(revoked, writer, null, Roles.SeedWrite).Error!.Code);
    }

    // ─── owners: a non-admin sees and manages itself and what it created ───

    [Fact]
    public void A_created_token_is_owned_by_its_creator_and_records_who_created_it()
    {
        var (store, admin) = Bootstrapped();
        var (withWriter, writer, _) = Create(store, admin, null, Roles.SeedWrite);
        var (_, child, _) = Create(withWriter, writer, null, Roles.SeedWrite);
        Assert.Equal(writer.Sid.Value, child.OwnerSid);
        Assert.Equal(As(writer), child.CreatedBy);
        Assert.Equal(admin.Sid.Value, writer.OwnerSid);
    }

    [Fact]
    public void A_non_admin_sees_and_manages_only_itself_and_its_own_tokens_and_everything_else_is_not_found()
    {
        var (store, admin) = Bootstrapped();
        (store, var writerA, _) = Create(store, admin, null, Roles.SeedWrite);
        (store, var writerB, _) = Create(store, admin, null, Roles.SeedWrite, Roles.SeedRead);
        (store, var childA, _) = Create(store, writerA, null, Roles.SeedWrite);
        (store, var childB, _) = Create(store, writerB, null, Roles.SeedRead);

        Assert.Equal(new[] { writerA.Sid.Value, childA.Sid.Value }.Order(), store.Visible(As(writerA), false, Now).Tokens.Select(t => t.Sid.Value).Order());
        Assert.Equal(5, store.Visible(As(admin), false, Now).Tokens.Length);

        foreach (var other in new[] { admin, writerB, childB })
        {
            Assert.Equal(AccessTokenErrorCodes.NotFound, store.Find(other.Sid, As(writerA), false, Now).Error!.Code);
            Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RevokeAccessToken(other.Sid, As(writerA)), Now).Error!.Code);
            Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RegenerateAccessToken(other.Sid, null, As(writerA)), "s", Now, Limits).Error!.Code);
        }
        Assert.IsType<AccessTokenRevoked>(store.Decide(new RevokeAccessToken(childA.Sid, As(writerA)), Now).Event);
        Assert.IsType<AccessTokenRegenerated>(store.Decide(new RegenerateAccessToken(childA.Sid, null, As(writerA)), "s", Now, Limits).Event);
        Assert.IsType<AccessTokenRevoked>(store.Decide(new RevokeAccessToken(writerA.Sid, As(writerA)), Now).Event);
        Assert.IsType<AccessTokenRevoked>(store.Decide(new RevokeAccessToken(childB.Sid, As(admin)), Now).Event);
    }

    [Fact]
    public void Tokens_created_before_owners_were_recorded_belong_to_system_and_only_an_admin_manages_them()
    {
        var (store, admin) = Bootstrapped();
        // What today's main persisted: every token owned by "system", no actor.
        var legacy = new AccessTokenCreated(TokenId.New(), "old ci", [Roles.SeedWrite], Today.PlusYears(5), "system", null, AccessTokenFormat.Hash("x"), Now);
        var other = new AccessTokenCreated(TokenId.New(), "old reader", [Roles.SeedRead], Today.PlusDays(3), "system", null, AccessTokenFormat.Hash("y"), Now);
        store = store.Apply(legacy).Apply(other);
        var old = store.Get(legacy.TokenId)!;

        Assert.Equal([old.Sid], store.Visible(As(old), false, Now).Tokens.Select(t => t.Sid));
        Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RevokeAccessToken(other.TokenId, As(old)), Now).Error!.Code);
        Assert.Equal(AccessTokenErrorCodes.NotFound, store.Decide(new RevokeAccessToken(admin.Sid, As(old)), Now).Error!.Code);
        Assert.IsType<AccessTokenRevoked>(store.Decide(new RevokeAccessToken(other.TokenId, As(admin)), Now).Event);
        // Regenerating itself without a date clamps its five-year expiry to the server's maximum lifetime.
        var regenerated = Assert.IsType<AccessTokenRegenerated>(store.Decide(new RegenerateAccessToken(old.Sid, null, As(old)), "s", Now, Limits).Event);
        Assert.Equal(Today.PlusDays(365), regenerated.ExpiresOn);
    }

    [Fact]
    public void A_token_cannot_regenerate_a_token_with_roles_it_does_not_hold()
    {
        var (store, admin) = Bootstrapped();
        (store, var writer, _) = Create(store, admin, null, Roles.SeedWrite, Roles.DeploymentWrite);
        (store, var child, _) = Create(store, writer, null, Roles.SeedWrite, Roles.DeploymentWrite);
        var narrowed = store.Apply(new AccessTokenCreated(TokenId.New(), "narrow", [Roles.SeedWrite], Today.PlusDays(1), writer.Sid.Value, null, "h", Now));
        var narrow = narrowed.Visible(As(writer), false, Now).Tokens.Single(t => t.Description == "narrow");
        var decision = narrowed.Decide(new RegenerateAccessToken(child.Sid, null, As(narrow)), "s", Now, Limits);
        Assert.Equal(AccessTokenErrorCodes.NotFound, decision.Error!.Code);
        Assert.Null(narrowed.Decide(new RegenerateAccessToken(child.Sid, null, As(writer)), "s", Now, Limits).Error);
    }

    // ─── expiry limits ───

    [Fact]
    public void A_non_admin_cannot_create_a_token_that_outlives_itself_and_the_error_names_the_field()
    {
        var (store, admin) = Bootstrapped();
        (store, var writer, _) = Create(store, admin, Today.PlusDays(10), Roles.SeedWrite);
        var beyond = Try(store, writer, Today.PlusDays(11), Roles.SeedWrite);
        Assert.Equal(AccessTokenErrorCodes.Invalid, beyond.Error!.Code);
        var error = Assert.Single(beyond.Error.Errors);
        Assert.StartsWith("expires_on: must not be later than the expiry of the requesting token (2026-03-20)", error);
        Assert.Null(Try(store, writer, Today.PlusDays(10), Roles.SeedWrite).Error);
    }

    [Fact]
    public void A_non_admin_cannot_exceed_the_maximum_lifetime_and_the_far_future_is_refused()
    {
        var (store, admin) = Bootstrapped();
        (store, var writer, _) = Create(store, admin, new LocalDate(9999, 12, 31), Roles.SeedWrite);
        var far = Try(store, writer, new LocalDate(9999, 12, 31), Roles.SeedWrite);
        Assert.StartsWith("expires_on: must be at most 365 days from today (2027-03-10", Assert.Single(far.Error!.Errors));
        Assert.Null(Try(store, writer, Today.PlusDays(365), Roles.SeedWrite).Error);
        var shorter = store.Decide(new CreateAccessToken("x", [Roles.SeedWrite], Today.PlusDays(31), As(writer)), TokenId.New(), "s", Now, new AccessTokenLimits(30));
        Assert.StartsWith("expires_on: must be at most 30 days from today", Assert.Single(shorter.Error!.Errors));
    }

    [Fact]
    public void An_admin_is_bound_by_neither_limit()
    {
        var (store, admin) = Bootstrapped();
        Assert.Null(Try(store, admin, new LocalDate(9999, 12, 31), Roles.Admin).Error);
        Assert.Null(Try(store, admin, Today.PlusYears(20), Roles.SeedRead).Error);
    }

    [Fact]
    public void The_default_expiry_is_tomorrow_but_never_later_than_the_creator()
    {
        var (store, admin) = Bootstrapped();
        (store, var writer, _) = Create(store, admin, Today, Roles.SeedWrite);
        var (_, child, _) = Create(store, writer, null, Roles.SeedWrite);
        Assert.Equal(Today, child.ExpiresOn);
    }

    [Fact]
    public void Regenerating_never_extends_a_token_beyond_its_creator_or_the_maximum()
    {
        var (store, admin) = Bootstrapped();
        (store, var writer, _) = Create(store, admin, Today.PlusDays(20), Roles.SeedWrite);
        (store, var child, _) = Create(store, writer, Today.PlusDays(5), Roles.SeedWrite);
        var byParent = store.Decide(new RegenerateAccessToken(child.Sid, Today.PlusDays(21), As(writer)), "s", Now, Limits);
        Assert.StartsWith("expires_on: must not be later than the expiry of the requesting token", Assert.Single(byParent.Error!.Errors));
        var bySelf = store.Decide(new RegenerateAccessToken(child.Sid, Today.PlusDays(21), As(child)), "s", Now, Limits);
        Assert.StartsWith("expires_on: must not be later than the expiry of the token that created this one", Assert.Single(bySelf.Error!.Errors));
        Assert.Null(store.Decide(new RegenerateAccessToken(child.Sid, Today.PlusDays(20), As(child)), "s", Now, Limits).Error);
        var selfWriter = store.Decide(new RegenerateAccessToken(writer.Sid, Today.PlusDays(400), As(writer)), "s", Now, Limits);
        Assert.StartsWith("expires_on: must be at most 365 days", Assert.Single(selfWriter.Error!.Errors));
    }

    // ─── the last admin token ───

    [Fact]
    public void The_last_valid_admin_token_cannot_be_revoked_and_the_error_says_why()
    {
        var (store, admin) = Bootstrapped();
        var last = store.Decide(new RevokeAccessToken(admin.Sid, As(admin)), Now);
        Assert.Equal(AccessTokenErrorCodes.Conflict, last.Error!.Code);
        Assert.Contains("last valid admin token", last.Error.Message);
        Assert.Equal(AccessTokenErrorCodes.Conflict, store.Decide(new RevokeAccessToken(admin.Sid, Actor.Server, ByServer: true), Now).Error!.Code);

        // An expired second admin token does not count; a valid one does.
        var expired = store.Apply(new AccessTokenCreated(TokenId.New(), "old admin", [Roles.Admin], Today.PlusDays(-1), "system", null, "h", Now));
        Assert.Equal(AccessTokenErrorCodes.Conflict, expired.Decide(new RevokeAccessToken(admin.Sid, As(admin)), Now).Error!.Code);
        var (withSecond, second, _) = Create(store, admin, null, Roles.Admin);
        Assert.IsType<AccessTokenRevoked>(withSecond.Decide(new RevokeAccessToken(admin.Sid, As(second)), Now).Event);
    }

    [Fact]
    public void Bootstrap_creates_one_admin_token_valid_ten_years_only_while_nothing_was_ever_issued()
    {
        var first = AccessTokenStore.Empty.DecideBootstrap(TokenId.New(), "s", Now);
        var created = Assert.IsType<AccessTokenCreated>(first.Event);
        Assert.Equal([Roles.Admin], created.Roles.ToArray());
        Assert.Equal(Today.PlusYears(10), created.ExpiresOn);
        Assert.Equal(ActorKind.Server, created.By!.Kind);
        var store = AccessTokenStore.Empty.Apply(created).Apply(new AccessTokenRevoked(created.TokenId, Now));
        Assert.Null(store.DecideBootstrap(TokenId.New(), "s", Now).Event);
    }

    [Fact]
    public void Events_record_the_acting_token_and_the_snapshot_keeps_it()
    {
        var (store, admin) = Bootstrapped();
        (store, var writer, var plaintext) = Create(store, admin, null, Roles.SeedWrite);
        var regenerated = (AccessTokenRegenerated)store.Decide(new RegenerateAccessToken(writer.Sid, null, As(admin)), "s2", Now, Limits).Event!;
        Assert.Equal(As(admin), regenerated.By);
        var revoked = (AccessTokenRevoked)store.Decide(new RevokeAccessToken(writer.Sid, As(writer)), Now).Event!;
        Assert.Equal(As(writer), revoked.By);
        var restored = AccessTokenStore.FromSnapshot(store.ToSnapshot());
        Assert.Equal(As(admin), restored.Get(writer.Sid)!.CreatedBy);
        Assert.NotNull(restored.Authenticate(plaintext, Today));
    }

    [Fact]
    public void Legacy_audit_actors_read_as_server_garden_or_token()
    {
        Assert.Equal(Actor.Server, Actor.FromLegacy("system"));
        Assert.Equal(ActorKind.Garden, Actor.FromLegacy("grdn_abcdefghijklmnopqrstuvwx").Kind);
        Assert.Equal(new Actor(ActorKind.Token, "user_alice", null), Actor.FromLegacy("user_alice"));
        Assert.Equal("deploy bot (abc)", new Actor(ActorKind.Token, "abc", "deploy bot").Display);
    }
}
