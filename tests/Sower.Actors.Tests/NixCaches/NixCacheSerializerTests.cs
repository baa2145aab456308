using System.Text.Json;
using Akka.Configuration;
using Sower.Actors.Server.NixCaches;
using Sower.Messages.NixCaches;
using Xunit.Abstractions;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheEvents;
using static Sower.Messages.NixCaches.NixCacheQueries;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Actors.Tests.NixCaches;

public sealed class NixCacheSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config SerializerConfig = ConfigurationFactory.ParseString($$"""
        akka.actor.serializers.sower-nix-caches = "{{typeof(NixCacheSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(INixCacheMessage).AssemblyQualifiedName}}" = sower-nix-caches }
        akka.actor.serialization-identifiers { "{{typeof(NixCacheSerializer).AssemblyQualifiedName}}" = 202 }
        """);

    public NixCacheSerializerTests(ITestOutputHelper output) : base(SerializerConfig, output: output) { }

    private const string Sid = "nxc_abcdefghijklmnopqrstuvwx";
    private const string Url = "https://cache.example.org";
    private const string Key = "cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

    public static TheoryData<INixCacheMessage> Messages() =>
    [
        new NixCacheAdded(Sid, Url, Key),
        new NixCacheEdited(Sid, "file:///var/cache", Key),
        new NixCacheRemoved(Sid),
        new NixCacheAdded(Sid, Url, Key, Sower.Messages.Domain.Actor.Token(new Sower.Messages.Domain.TokenId("abcdefghijklmnopqrstuvwx"), "ops")),
        new NixCacheRemoved(Sid, Sower.Messages.Domain.Actor.Token(new Sower.Messages.Domain.TokenId("abcdefghijklmnopqrstuvwx"), "ops")),
        new AddNixCache(Url, Key),
        new AddNixCache(Url, Key, Sower.Messages.Domain.Actor.Token(new Sower.Messages.Domain.TokenId("abcdefghijklmnopqrstuvwx"), "ops")),
        new EditNixCache(Sid, Url, Key),
        new RemoveNixCache(Sid),
        GetNixCaches.Instance,
        new NixCacheSaved(new NixCache(Sid, Url, Key)),
        new NixCacheRemovalConfirmed(Sid),
        new NixCacheList([new NixCache(Sid, Url, Key)]),
        new NixCacheList([]),
        new NixCacheError(NixCacheErrorCodes.Duplicate, ["url: taken"]),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_nix_cache_message_round_trips_through_its_serializer(INixCacheMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<NixCacheSerializer>(serializer);
        Assert.Equal(202, serializer.Identifier);

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);

        Assert.IsType(message.GetType(), back);
        // ImmutableArray compares by reference inside records, so compare the canonical JSON.
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType(), NixCacheSerializer.Json),
                     JsonSerializer.Serialize(back, back.GetType(), NixCacheSerializer.Json));
    }

    [Fact]
    public void Every_supported_type_has_a_round_trip_case()
    {
        var covered = ((IEnumerable<object[]>)Messages()).Select(row => row[0].GetType()).ToHashSet();
        var missing = NixCacheSerializer.SupportedTypes.Where(t => !covered.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "no round-trip case for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Persisted_events_have_v2_manifests_with_the_actor_and_v1_events_still_read()
    {
        var serializer = new NixCacheSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        Assert.Equal("nxc-added-v2", serializer.Manifest(new NixCacheAdded(Sid, Url, Key)));
        Assert.Equal("nxc-edited-v2", serializer.Manifest(new NixCacheEdited(Sid, Url, Key)));
        Assert.Equal("nxc-removed-v2", serializer.Manifest(new NixCacheRemoved(Sid)));
        var by = Sower.Messages.Domain.Actor.Token(new Sower.Messages.Domain.TokenId("abcdefghijklmnopqrstuvwx"), "ops");
        Assert.Equal($$$"""{"sid":"{{{Sid}}}","url":"{{{Url}}}","public_key":"{{{Key}}}","by":{"kind":"Token","sid":"abcdefghijklmnopqrstuvwx","description":"ops"}}""",
            System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new NixCacheAdded(Sid, Url, Key, by))));
        var v1 = Assert.IsType<NixCacheAdded>(serializer.FromBinary(
            System.Text.Encoding.UTF8.GetBytes($$"""{"sid":"{{Sid}}","url":"{{Url}}","public_key":"{{Key}}"}"""), "nxc-added-v1"));
        Assert.Equal(Url, v1.Url);
        Assert.Null(v1.By);
        Assert.IsType<NixCacheRemoved>(serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes($$"""{"sid":"{{Sid}}"}"""), "nxc-removed-v1"));
    }
}
