using Xunit.Abstractions;
using System.Collections.Immutable;
using System.Text.Json;
using Akka.Configuration;
using NodaTime;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Tests.Tokens;

public sealed class AccessTokenSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config SerializerConfig = ConfigurationFactory.ParseString($$"""
        akka.actor.serializers.sower-tokens = "{{typeof(AccessTokenSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(ITokenMessage).AssemblyQualifiedName}}" = sower-tokens }
        akka.actor.serialization-identifiers { "{{typeof(AccessTokenSerializer).AssemblyQualifiedName}}" = 201 }
        """);

    public AccessTokenSerializerTests(ITestOutputHelper output) : base(SerializerConfig, output: output) { }

    private static readonly Instant At = Instant.FromUtc(2026, 1, 2, 3, 4, 5).PlusNanoseconds(123_456_700);
    private static readonly TokenId Sid = new("abcdefghijklmnopqrstuvwx");
    private static readonly GardenId Garden = new("grdn_abcdefghijklmnopqrstuvwx");
    private static readonly AccessTokenInfo Info = new(Sid, "ci token", [Roles.SeedRead, Roles.Admin], new LocalDate(2026, 12, 31), "user_x", null, At, At,
        Actor.Token(new TokenId("creatorsidabcdefghijklmno"), "admin laptop"));
    private static readonly AccessTokenInfo PersonalInfo = new(Sid, "alice cli", [Roles.DeploymentRead], new LocalDate(2026, 3, 1), "person:sub-alice", null, At, At,
        Actor.Person("sub-alice", "Alice Admin"), ["groups=ops"]);
    private static readonly AccessTokenInfo GardenInfo = new(Sid, "garden", [Roles.Garden], null, "user_x", Garden, At, At.PlusTicks(1));

    public static TheoryData<ITokenMessage> Messages() =>
    [
        new AccessTokenCreated(Sid, "ci", [Roles.SeedRead], new LocalDate(2026, 2, 28), "user_x", null, new string('a', 64), At),
        new AccessTokenCreated(Sid, "garden", [Roles.Garden], null, "user_x", Garden, new string('b', 64), At),
        new AccessTokenCreated(Sid, "ci", [Roles.SeedRead], new LocalDate(2026, 2, 28), "creatorsidabcdefghijklmno", null, new string('a', 64), At,
            Actor.Token(new TokenId("creatorsidabcdefghijklmno"), "deploy bot")),
        new AccessTokenRegenerated(Sid, new LocalDate(2027, 1, 1), new string('c', 64), At),
        new AccessTokenRegenerated(Sid, new LocalDate(2027, 1, 1), new string('c', 64), At, Actor.ServerAs("break-glass")),
        new AccessTokenRevoked(Sid, At),
        new AccessTokenRevoked(Sid, At, Actor.Token(Sid, "itself")),
        new AccessTokenStoreSnapshot([new StoredAccessToken(Info, new string('d', 64)), new StoredAccessToken(GardenInfo, new string('e', 64))], true),
        new AccessTokenStoreSnapshot([new StoredAccessToken(PersonalInfo, new string('f', 64))], true),
        new PersonalAccessTokenCreated(Sid, "alice laptop", [Roles.DeploymentRead], new LocalDate(2026, 3, 1), "sub-alice", ["groups=ops"], new string('a', 64), At,
            Actor.Person("sub-alice", "Alice Admin")),
        new CreatePersonalAccessToken("alice laptop", [Roles.DeploymentRead], null, Actor.Person("sub-alice", "Alice Admin"), [Roles.Admin], ["groups=sower-admins"]),
        new AccessTokenFound(PersonalInfo),
        new GetAccessTokens(Actor.Person("sub-alice", "Alice Admin")),
        new CreateAccessToken("ci", [Roles.SeedRead], new LocalDate(2026, 2, 1), Actor.Token(Sid, "ci bot")),
        new CreateAccessToken("garden", [Roles.Garden], null, Actor.Token(Sid, "enroll"), Garden, ByServer: true),
        new RegenerateAccessToken(Sid, null, Actor.Token(Sid, null)),
        new RegenerateAccessToken(Sid, new LocalDate(2026, 3, 3), Actor.Server, ByServer: true),
        new RevokeAccessToken(Sid, Actor.Garden(Garden)),
        BootstrapAdminToken.Instance,
        new GetAccessTokens(Actor.Token(Sid, "me")),
        new GetAccessTokens(Actor.Server, ByServer: true),
        new GetAccessToken(Sid, Actor.Token(Sid, "me")),
        new AuthenticateAccessToken("sower_abcdefghijklmnopqrstuvwx_c2VjcmV0"),
        new AccessTokenIssued(Sid, "sower_abcdefghijklmnopqrstuvwx_c2VjcmV0", Info),
        new AccessTokenAuthenticated(GardenInfo),
        new AccessTokenAuthenticated(null),
        new AccessTokenList([Info, GardenInfo]),
        new AccessTokenFound(Info),
        new AccessTokenRevocationConfirmed(Sid),
        AdminTokenAlreadyBootstrapped.Instance,
        new AccessTokenError(AccessTokenErrorCodes.Invalid, "bad", ["description: required", "roles: x"]),
        new CredentialRevoked(Sid, null, CredentialRevoked.Revoked),
        new CredentialRevoked(Sid, At, CredentialRevoked.Regenerated),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_token_message_round_trips_through_the_token_serializer(ITokenMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<AccessTokenSerializer>(serializer);
        Assert.Equal(201, serializer.Identifier);

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);

        Assert.IsType(message.GetType(), back);
        // Records holding ImmutableArray compare arrays by reference, so compare the canonical JSON instead.
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType(), AccessTokenSerializer.Json),
                     JsonSerializer.Serialize(back, back.GetType(), AccessTokenSerializer.Json));
    }

    [Fact]
    public void Every_supported_type_has_a_round_trip_case()
    {
        var covered = ((IEnumerable<object[]>)Messages()).Select(row => ((ITokenMessage)row[0]).GetType()).ToHashSet();
        var missing = AccessTokenSerializer.SupportedTypes.Where(t => !covered.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "no round-trip case for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Manifests_are_versioned_and_stable_and_v1_still_reads()
    {
        var serializer = (AccessTokenSerializer)Sys.Serialization.FindSerializerForType(typeof(AccessTokenCreated));
        Assert.Equal("tok-created-v2", serializer.Manifest(new AccessTokenCreated(Sid, "", [], null, "", null, "", At)));
        Assert.Equal("tok-regenerated-v2", serializer.Manifest(new AccessTokenRegenerated(Sid, null, "", At)));
        Assert.Equal("tok-revoked-v2", serializer.Manifest(new AccessTokenRevoked(Sid, At)));
        Assert.Equal("tok-snapshot-v3", serializer.Manifest(new AccessTokenStoreSnapshot([], false)));
        Assert.Equal("tok-personal-created-v1", serializer.Manifest(new PersonalAccessTokenCreated(Sid, "", [], new LocalDate(2026, 1, 1), "s", [], "", At, Actor.Person("s", null))));
        Assert.Equal("tok-credential-revoked-v1", serializer.Manifest(new CredentialRevoked(Sid, null, CredentialRevoked.Revoked)));
        foreach (var v1 in new[] { "tok-created-v1", "tok-regenerated-v1", "tok-revoked-v1", "tok-snapshot-v1", "tok-snapshot-v2" })
            Assert.Contains(v1, serializer.ReadableManifests);
    }

    [Fact]
    public void A_v1_created_event_of_todays_main_reads_with_owner_system_and_no_actor()
    {
        var serializer = (AccessTokenSerializer)Sys.Serialization.FindSerializerForType(typeof(AccessTokenCreated));
        var v1 = """{"token_id":"abcdefghijklmnopqrstuvwx","description":"ci","roles":["seed:read"],"expires_on":"2026-02-28","owner_sid":"system","garden_id":null,"secret_hash":"hash","at":"2026-01-02T03:04:05.1234567Z"}""";
        var back = Assert.IsType<AccessTokenCreated>(serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(v1), "tok-created-v1"));
        Assert.Equal("system", back.OwnerSid);
        Assert.Null(back.By);
        var revoked = Assert.IsType<AccessTokenRevoked>(serializer.FromBinary(
            """{"token_id":"abcdefghijklmnopqrstuvwx","at":"2026-01-02T03:04:05Z"}"""u8.ToArray(), "tok-revoked-v1"));
        Assert.Null(revoked.By);
    }

    [Fact]
    public void A_v2_snapshot_reads_with_no_owner_claim_values_and_a_person_actor_round_trips()
    {
        var serializer = (AccessTokenSerializer)Sys.Serialization.FindSerializerForType(typeof(AccessTokenStoreSnapshot));
        var v2 = """{"tokens":[{"info":{"sid":"abcdefghijklmnopqrstuvwx","description":"ci","roles":["seed:read"],"expires_on":"2026-02-28","owner_sid":"system","garden_id":null,"created_at":"2026-01-02T03:04:05Z","secret_issued_at":"2026-01-02T03:04:05Z","created_by":null},"secret_hash":"h"}],"any_issued":true}""";
        var back = Assert.IsType<AccessTokenStoreSnapshot>(serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(v2), "tok-snapshot-v2"));
        Assert.Null(back.Tokens[0].Info.OwnerMatches);
        Assert.Null(back.Tokens[0].Info.OwnerPerson);

        var created = new PersonalAccessTokenCreated(Sid, "cli", [Roles.SeedRead], new LocalDate(2026, 3, 1), "sub-alice", ["groups=ops"], "h", At, Actor.Person("sub-alice", "Alice Admin"));
        var read = Assert.IsType<PersonalAccessTokenCreated>(serializer.FromBinary(serializer.ToBinary(created), "tok-personal-created-v1"));
        Assert.Equal(ActorKind.Person, read.By.Kind);
        Assert.Equal("sub-alice", read.By.Sid);
        Assert.Equal("Alice Admin", read.By.Description);
        Assert.Equal(["groups=ops"], read.OwnerMatches.ToArray());
    }

    [Fact]
    public void Persisted_event_json_uses_snake_case_and_never_contains_a_plaintext()
    {
        var json = System.Text.Encoding.UTF8.GetString(
            new AccessTokenSerializer((Akka.Actor.ExtendedActorSystem)Sys).ToBinary(
                new AccessTokenCreated(Sid, "ci", [Roles.SeedRead], new LocalDate(2026, 2, 28), "user_x", null, "hash", At)));
        Assert.Equal(
            """{"token_id":"abcdefghijklmnopqrstuvwx","description":"ci","roles":["seed:read"],"expires_on":"2026-02-28","owner_sid":"user_x","garden_id":null,"secret_hash":"hash","at":"2026-01-02T03:04:05.1234567Z","by":null}""",
            json);
    }
}
