using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Sower.Actors.Serialization;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Server.Tokens;

/// <summary>System.Text.Json serializer for every <see cref="ITokenMessage"/>: persisted events and snapshot, and the
/// protocol that crosses cluster nodes. Manifests are stable: NEVER change one; add a "-v2" and keep reading "-v1".</summary>
public sealed class AccessTokenSerializer(ExtendedActorSystem system)
    : ManifestJsonSerializer(system, Manifests, Legacy, Json, BootstrapAdminToken.Instance, AdminTokenAlreadyBootstrapped.Instance)
{
    public const int SerializerId = 201;
    public const string Name = "sower-tokens";

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        // v2: events and snapshot record who acted (an Actor); v1 (below) still reads, with no actor.
        [typeof(AccessTokenCreated)] = "tok-created-v2",
        [typeof(AccessTokenRegenerated)] = "tok-regenerated-v2",
        [typeof(AccessTokenRevoked)] = "tok-revoked-v2",
        // v3: a token's info may carry its owner's OIDC claim values (personal tokens); v2 still reads, without them.
        [typeof(AccessTokenStoreSnapshot)] = "tok-snapshot-v3",
        [typeof(PersonalAccessTokenCreated)] = "tok-personal-created-v1",
        [typeof(CreatePersonalAccessToken)] = "tok-create-personal-v1",
        // v2: commands and queries carry the requesting Actor instead of an owner sid and role list (never persisted).
        [typeof(CreateAccessToken)] = "tok-create-v2",
        [typeof(RegenerateAccessToken)] = "tok-regenerate-v2",
        [typeof(RevokeAccessToken)] = "tok-revoke-v2",
        [typeof(BootstrapAdminToken)] = "tok-bootstrap-v1",
        [typeof(GetAccessTokens)] = "tok-get-all-v2",
        [typeof(GetAccessToken)] = "tok-get-v2",
        [typeof(AuthenticateAccessToken)] = "tok-authenticate-v1",
        [typeof(AccessTokenIssued)] = "tok-issued-v1",
        [typeof(AccessTokenAuthenticated)] = "tok-authenticated-v1",
        [typeof(AccessTokenList)] = "tok-list-v1",
        [typeof(AccessTokenFound)] = "tok-found-v1",
        [typeof(AccessTokenRevocationConfirmed)] = "tok-revocation-confirmed-v1",
        [typeof(AdminTokenAlreadyBootstrapped)] = "tok-already-bootstrapped-v1",
        [typeof(AccessTokenError)] = "tok-error-v1",
        [typeof(CredentialRevoked)] = "tok-credential-revoked-v1",
    }.ToFrozenDictionary();

    /// <summary>Persisted v1 shapes: the same fields without the actor, which reads as null. A v1 owner sid (always
    /// <c>system</c> before owners were recorded) keeps meaning "admin-owned".</summary>
    private static readonly FrozenDictionary<string, Type> Legacy = new Dictionary<string, Type>
    {
        ["tok-created-v1"] = typeof(AccessTokenCreated),
        ["tok-regenerated-v1"] = typeof(AccessTokenRegenerated),
        ["tok-revoked-v1"] = typeof(AccessTokenRevoked),
        ["tok-snapshot-v1"] = typeof(AccessTokenStoreSnapshot),
        ["tok-snapshot-v2"] = typeof(AccessTokenStoreSnapshot),
    }.ToFrozenDictionary();

    /// <summary>Every type this serializer handles (for round-trip tests).</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => Manifests.Keys;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        IgnoreReadOnlyProperties = true,
        Converters = { new LocalDateConverter(), new InstantConverter(), new TokenIdConverter(), new GardenIdConverter(), new JsonStringEnumConverter() },
    };

    public override int Identifier => SerializerId;

    private sealed class LocalDateConverter : JsonConverter<LocalDate>
    {
        public override LocalDate Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            LocalDatePattern.Iso.Parse(reader.GetString() ?? "").GetValueOrThrow();

        public override void Write(Utf8JsonWriter writer, LocalDate value, JsonSerializerOptions options) =>
            writer.WriteStringValue(LocalDatePattern.Iso.Format(value));
    }

    private sealed class InstantConverter : JsonConverter<Instant>
    {
        public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            InstantPattern.ExtendedIso.Parse(reader.GetString() ?? "").GetValueOrThrow();

        public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options) =>
            writer.WriteStringValue(InstantPattern.ExtendedIso.Format(value));
    }

    private sealed class TokenIdConverter : JsonConverter<TokenId>
    {
        public override TokenId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetString() ?? "");
        public override void Write(Utf8JsonWriter writer, TokenId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
    }

    private sealed class GardenIdConverter : JsonConverter<GardenId>
    {
        public override GardenId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetString() ?? "");
        public override void Write(Utf8JsonWriter writer, GardenId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
    }
}
