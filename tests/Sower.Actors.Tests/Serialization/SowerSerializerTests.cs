using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using NodaTime;
using Sower.Actors.Serialization;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;

namespace Sower.Actors.Tests.Serialization;

/// <summary>
/// Every ISowerSerializable type round-trips through the one SowerSerializer, found by reflection, each with a generated
/// sample instance; the manifests are pinned by a committed list, because a changed manifest orphans stored events.
/// </summary>
public sealed class SowerSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly string[] PinnedManifests = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Serialization", "manifests.txt"))
        .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    public SowerSerializerTests() : base(ConfigurationFactory.ParseString("""
        akka.actor.serializers.sower = "Sower.Actors.Serialization.SowerSerializer, Sower.Actors"
        akka.actor.serialization-bindings { "Sower.Messages.ISowerSerializable, Sower.Messages" = sower }
        akka.actor.serialization-identifiers { "Sower.Actors.Serialization.SowerSerializer, Sower.Actors" = 200 }
        """))
    {
        Samples.ActorRef = TestActor;
    }

    public static TheoryData<string> Types() => [.. SowerSerializer.SerializableTypes.Select(t => t.FullName!).Order()];

    [Theory]
    [MemberData(nameof(Types))]
    public void Type_round_trips_through_the_sower_serializer(string typeName)
    {
        var type = SowerSerializer.SerializableTypes.Single(t => t.FullName == typeName);
        var sample = Samples.Create(type);
        var serializer = Sys.Serialization.FindSerializerFor(sample);
        Assert.IsType<SowerSerializer>(serializer);
        var manifest = ((SowerSerializer)serializer).Manifest(sample);
        var bytes = serializer.ToBinary(sample);
        var back = ((SowerSerializer)serializer).FromBinary(bytes, manifest);
        Assert.IsType(type, back);
        // Records holding immutable arrays compare by reference, so equality is checked on the serialized form.
        Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes), System.Text.Encoding.UTF8.GetString(serializer.ToBinary(back)));
    }

    [Fact]
    public void Manifests_never_change_and_every_new_type_is_pinned()
    {
        var current = SowerSerializer.ManifestByType.Values.Order(StringComparer.Ordinal).ToArray();
        var missing = PinnedManifests.Except(SowerSerializer.ReadableManifests).ToList();
        Assert.True(missing.Count == 0, "manifests disappeared (stored data would no longer load): " + string.Join(", ", missing));
        var unpinned = current.Except(PinnedManifests).ToList();
        Assert.True(unpinned.Count == 0, "new manifests: add them to tests/Sower.Actors.Tests/Serialization/manifests.txt: " + string.Join(", ", unpinned));
    }

    [Fact]
    public void A_garden_state_stored_before_tombstones_and_enrollments_existed_still_loads()
    {
        var sample = (Sower.Messages.Gardens.GardenState)Samples.Create(typeof(Sower.Messages.Gardens.GardenState));
        var serializer = (SowerSerializer)Sys.Serialization.FindSerializerFor(sample);
        var node = System.Text.Json.Nodes.JsonNode.Parse(serializer.ToBinary(sample))!.AsObject();
        Assert.True(node.Remove("admission"));
        var old = (Sower.Messages.Gardens.GardenState)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), "garden-state-v1");
        Assert.Null(old.Tombstone);
        Assert.Empty(old.Enrollments);
        Assert.Equal(sample.Registration, old.Registration);
    }

    [Fact]
    public void A_garden_state_stored_before_pending_creations_existed_loads_with_none_and_the_current_one_keeps_them()
    {
        var record = (Sower.Messages.Deployments.DeploymentRecord)Samples.Create(typeof(Sower.Messages.Deployments.DeploymentRecord));
        var sample = (Sower.Messages.Gardens.GardenState)Samples.Create(typeof(Sower.Messages.Gardens.GardenState)) with
        {
            PendingCreations = System.Collections.Immutable.ImmutableDictionary<string, Sower.Messages.Deployments.DeploymentRecord>.Empty.Add(record.Sid.Value, record),
        };
        var serializer = (SowerSerializer)Sys.Serialization.FindSerializerFor(sample);
        Assert.Equal("garden-state-v2", serializer.Manifest(sample));
        var current = (Sower.Messages.Gardens.GardenState)serializer.FromBinary(serializer.ToBinary(sample), "garden-state-v2");
        Assert.Equal(record.Sid, Assert.Single(current.UnconfirmedCreations).Value.Sid);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(serializer.ToBinary(record)), System.Text.Encoding.UTF8.GetString(serializer.ToBinary(current.UnconfirmedCreations[record.Sid.Value])));

        var node = System.Text.Json.Nodes.JsonNode.Parse(serializer.ToBinary(sample))!.AsObject();
        Assert.True(node.Remove("pending_creations"));
        var old = (Sower.Messages.Gardens.GardenState)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), "garden-state-v1");
        Assert.Empty(old.UnconfirmedCreations);
        Assert.Equal(sample.Registration, old.Registration);
    }

    [Fact]
    public void A_seed_and_its_state_stored_before_recall_existed_read_as_not_recalled()
    {
        var sample = (SeedState)Samples.Create(typeof(SeedState));
        var serializer = (SowerSerializer)Sys.Serialization.FindSerializerFor(sample);
        var node = System.Text.Json.Nodes.JsonNode.Parse(serializer.ToBinary(sample))!.AsObject();
        Assert.True(node.Remove("recall_owed"));
        Assert.True(node["seed"]!.AsObject().Remove("recall"));
        var old = (SeedState)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), "seed-state-v1");
        Assert.False(old.RecallOwed);
        Assert.Null(old.Seed!.Recall);
        Assert.False(old.Seed.Withdrawn && !old.Seed.Retired);
        Assert.Equal(sample.Seed!.Sid, old.Seed.Sid);
    }

    [Fact]
    public void Serializer_identifier_is_200() => Assert.Equal(200, SowerSerializer.SerializerId);

    /// <summary>Every stored shape that holds an audit actor changed when the actor became a record: each must be at
    /// v2 or later, so its v1 records (a plain sid string) are read by the legacy path and never mistaken.</summary>
    [Fact]
    public void Every_type_holding_an_audit_actor_has_a_new_manifest_version()
    {
        var unversioned = SowerSerializer.SerializableTypes.Where(t => Holds(t, typeof(Actor), [])).Where(t => SowerSerializer.Versions.GetValueOrDefault(t, 1) < 2)
            .Select(t => t.FullName).ToList();
        Assert.True(unversioned.Count == 0, "types holding an Actor without a v2 manifest: " + string.Join(", ", unversioned));
    }

    private static bool Holds(Type type, Type wanted, HashSet<Type> seen)
    {
        if (type == wanted) return true;
        if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true && !type.IsGenericType) return false;
        if (type.IsGenericType) return type.GetGenericArguments().Any(a => Holds(a, wanted, seen));
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null).Any(p => Holds(p.PropertyType, wanted, seen));
    }

    [Fact]
    public void A_v1_deployment_approved_event_reads_its_plain_actor_string_as_a_legacy_actor()
    {
        var serializer = (SowerSerializer)Sys.Serialization.FindSerializerForType(typeof(Sower.Messages.Deployments.DeploymentEvents.DeploymentApproved));
        var v1 = """{"deployment_id":"dply_abcdefghijklmnopqrstuvwx","actor":"system","at":"2026-03-29T01:30:15Z"}"""u8.ToArray();
        var back = Assert.IsType<Sower.Messages.Deployments.DeploymentEvents.DeploymentApproved>(serializer.FromBinary(v1, "deployment-approved-v1"));
        Assert.Equal(Actor.Server, back.Actor);
        var v2 = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(back with { Actor = Actor.Token(new TokenId("abcdefghijklmnopqrstuvwx"), "release bot") }));
        Assert.Contains("\"actor\":{\"kind\":\"token\",\"sid\":\"abcdefghijklmnopqrstuvwx\",\"description\":\"release bot\"}", v2);
        Assert.Equal("deployment-approved-v2", serializer.Manifest(back));
    }
}

/// <summary>Builds a sample instance of a record through its primary constructor, recursively, with valid values.</summary>
internal static class Samples
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 29, 1, 30, 15);

    /// <summary>An actor ref of the test's system (refs travel as paths and resolve back to the same actor).</summary>
    public static IActorRef ActorRef { get; set; } = ActorRefs.Nobody;

    public static object Create(Type type) => Value(type, "sample", depth: 0)!;

    private static object? Value(Type type, string name, int depth)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner) return Value(inner, name, depth);
        if (type == typeof(string)) return name == "created" ? "2026-03-29T01:30:15Z" : "value-of-" + name;
        if (type == typeof(bool)) return true;
        if (type == typeof(int)) return 7;
        if (type == typeof(long)) return 42L;
        if (type == typeof(Instant)) return Now;
        if (type == typeof(Duration)) return Duration.FromMinutes(5);
        if (type == typeof(SeedId)) return new SeedId("seed_abcdefghijklmnopqrstuvwx");
        if (type == typeof(GardenId)) return new GardenId("grdn_abcdefghijklmnopqrstuvwx");
        if (type == typeof(SubscriptionId)) return new SubscriptionId("sub_abcdefghijklmnopqrstuvwx");
        if (type == typeof(DeploymentId)) return new DeploymentId("dply_abcdefghijklmnopqrstuvwx");
        if (type == typeof(RequestId)) return new RequestId("req_abcdefghijklmnopqrstuvwx");
        if (type == typeof(ConnectionId)) return new ConnectionId("conn_abcdefghijklmnopqrstuvwx");
        if (type == typeof(TokenId)) return new TokenId("abcdefghijklmnopqrstuvwx");
        if (type == typeof(SeedLineKey)) return new SeedLineKey(SeedType.NixOS, "web-01");
        if (type == typeof(Tag)) return new Tag("git_branch", "main");
        if (type == typeof(IActorRef)) return ActorRef;
        if (type == typeof(Rule)) return Rule.Equal("git_branch", "main");
        if (type == typeof(ValidationProblem)) return new ValidationProblem("policy.x", "bad");
        if (type == typeof(SubscriptionSpec))
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse("""
                {"name":"system","seed_name":"web-01","seed_type":"nixos","rules":[{"key":"git_branch","op":"eq","value":"main"}],
                 "schedule":"0 4 * * *","timezone":"Europe/Berlin",
                 "policy":{"night":{"actions":["restart"],"triggers":["scheduled"],"window":{"time_start":"02:00","time_end":"05:00","days":["sun"],"tz":"Europe/Berlin"},"confirm":true}}}
                """);
            var parsed = SubscriptionJson.Parse("system", node, "subscription", null);
            return parsed.Value ?? throw new InvalidOperationException(string.Join("; ", parsed.Problems));
        }
        if (type.IsEnum) return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            var element = type.GetGenericArguments()[0];
            var item = Value(element, name, depth + 1);
            var create = typeof(ImmutableArray).GetMethods().First(m => m.Name == "Create" && m.GetParameters().Length == 1 && !m.GetParameters()[0].ParameterType.IsArray
                && !m.GetParameters()[0].ParameterType.IsGenericType).MakeGenericMethod(element);
            return create.Invoke(null, [item]);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableDictionary<,>))
        {
            var args = type.GetGenericArguments();
            var empty = type.GetField("Empty")!.GetValue(null)!;
            return type.GetMethod("Add")!.Invoke(empty, [Value(args[0], name, depth + 1), Value(args[1], name, depth + 1)]);
        }
        if (typeof(IEnumerable).IsAssignableFrom(type)) throw new NotSupportedException($"no sample for {type}");
        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (ctor is null || ctor.GetParameters().Length == 0)
        {
            return type.GetField("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
                   ?? type.GetField("Empty", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
                   ?? Activator.CreateInstance(type);
        }
        return ctor.Invoke([.. ctor.GetParameters().Select(p => Value(p.ParameterType, p.Name ?? name, depth + 1))]);
    }
}
