using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;

namespace Sower.Actors.Serialization;

/// <summary>
/// The System.Text.Json settings of everything persisted: enums by name, instants as ISO-8601, ids and seed line keys
/// as plain strings, subscription specs in their canonical wire form (SubscriptionJson), so the stored form stays readable.
/// </summary>
public static class SowerJson
{
    public static readonly JsonSerializerOptions Options = Create();

    /// <summary>The same settings plus actor refs as serialized paths, resolved through the given system.</summary>
    public static JsonSerializerOptions WithActorRefs(Akka.Actor.ExtendedActorSystem system)
    {
        var options = new JsonSerializerOptions(Options);
        options.Converters.Add(new ActorRefConverter(system));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class ActorRefConverter(Akka.Actor.ExtendedActorSystem system) : JsonConverter<Akka.Actor.IActorRef>
    {
        public override Akka.Actor.IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            system.Provider.ResolveActorRef(reader.GetString() ?? throw new JsonException("actor path must be a string"));

        public override void Write(Utf8JsonWriter writer, Akka.Actor.IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            RespectNullableAnnotations = false,
            IncludeFields = false,
            // Computed get-only members (SubscriptionRecord.Zone, DeploymentRecord.Subscriptions, …) are derived, never stored.
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
            {
                Modifiers = { info =>
                {
                    if (info.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object) return;
                    for (var i = info.Properties.Count - 1; i >= 0; i--)
                    {
                        if (info.Properties[i].Set is null) info.Properties.RemoveAt(i);
                    }
                } },
            },
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new InstantConverter());
        options.Converters.Add(new StringIdConverterFactory());
        options.Converters.Add(new SeedLineKeyConverter());
        options.Converters.Add(new SubscriptionSpecConverter());
        options.Converters.Add(new ActorConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class InstantConverter : JsonConverter<Instant>
    {
        public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            InstantPattern.ExtendedIso.Parse(reader.GetString() ?? "").GetValueOrThrow();

        public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options) =>
            writer.WriteStringValue(InstantPattern.ExtendedIso.Format(value));
    }

    private sealed class SeedLineKeyConverter : JsonConverter<SeedLineKey>
    {
        public override SeedLineKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            SeedLineKey.TryParse(reader.GetString() ?? "", out var key) ? key : throw new JsonException("invalid seed line key");

        public override void Write(Utf8JsonWriter writer, SeedLineKey value, JsonSerializerOptions options) => writer.WriteStringValue(value.EntityId);
    }

    private sealed class SubscriptionSpecConverter : JsonConverter<SubscriptionSpec>
    {
        public override SubscriptionSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var node = JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("expected a subscription object");
            var name = node["name"]?.GetValue<string>() ?? throw new JsonException("subscription without name");
            var parsed = SubscriptionJson.Parse(name, node, "subscription", null);
            return parsed.Ok && parsed.Value is not null
                ? parsed.Value
                : throw new JsonException("stored subscription no longer valid: " + string.Join("; ", parsed.Problems));
        }

        public override void Write(Utf8JsonWriter writer, SubscriptionSpec value, JsonSerializerOptions options)
        {
            var json = SubscriptionJson.ToJson(value);
            json["name"] = value.Name;
            json.WriteTo(writer);
        }
    }

    /// <summary>An audit <see cref="Actor"/> is <c>{"kind","sid","description"}</c>. Records written before actors
    /// existed (their "-v1" manifests) hold a plain sid string, read through <see cref="Actor.FromLegacy"/>.</summary>
    public sealed class ActorConverter : JsonConverter<Actor>
    {
        public override Actor Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String) return Actor.FromLegacy(reader.GetString());
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("an actor must be a sid string or an object");
            ActorKind? kind = null;
            string? sid = null, description = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "kind": kind = Enum.TryParse<ActorKind>(reader.GetString(), ignoreCase: true, out var k) ? k : throw new JsonException("unknown actor kind"); break;
                    case "sid": sid = reader.GetString(); break;
                    case "description": description = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    default: reader.Skip(); break;
                }
            }
            return new Actor(kind ?? throw new JsonException("actor without kind"), sid ?? throw new JsonException("actor without sid"), description);
        }

        public override void Write(Utf8JsonWriter writer, Actor value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("kind", value.Kind.ToString().ToLowerInvariant());
            writer.WriteString("sid", value.Sid);
            if (value.Description is { } d) writer.WriteString("description", d);
            else writer.WriteNull("description");
            writer.WriteEndObject();
        }
    }

    /// <summary>The id record structs (SeedId, GardenId, …) each wrap one string.</summary>
    private sealed class StringIdConverterFactory : JsonConverterFactory
    {
        private static readonly FrozenSet<Type> IdTypes = new[]
        {
            typeof(SeedId), typeof(GardenId), typeof(SubscriptionId), typeof(DeploymentId), typeof(RequestId), typeof(ConnectionId), typeof(TokenId), typeof(EnrollmentId),
        }.ToFrozenSet();

        public override bool CanConvert(Type typeToConvert) => IdTypes.Contains(typeToConvert);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(StringIdConverter<>).MakeGenericType(typeToConvert))!;
    }

    private sealed class StringIdConverter<T> : JsonConverter<T> where T : struct
    {
        private static readonly ConstructorInfo Ctor = typeof(T).GetConstructor([typeof(string)])!;
        private static readonly PropertyInfo ValueProperty = typeof(T).GetProperty("Value")!;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            (T)Ctor.Invoke([reader.GetString() ?? throw new JsonException("id must be a string")]);

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue((string?)ValueProperty.GetValue(value));
    }
}
