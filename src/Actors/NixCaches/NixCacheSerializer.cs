using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Sower.Messages.NixCaches;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheEvents;
using static Sower.Messages.NixCaches.NixCacheQueries;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Actors.NixCaches;

/// <summary>System.Text.Json serializer for every <see cref="INixCacheMessage"/>: persisted events and the protocol
/// that crosses cluster nodes. Manifests are stable: NEVER change one; add a "-v2" and keep reading "-v1".</summary>
public sealed class NixCacheSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 202;
    public const string Name = "sower-nix-caches";

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(NixCacheAdded)] = "nxc-added-v1",
        [typeof(NixCacheEdited)] = "nxc-edited-v1",
        [typeof(NixCacheRemoved)] = "nxc-removed-v1",
        [typeof(AddNixCache)] = "nxc-add-v1",
        [typeof(EditNixCache)] = "nxc-edit-v1",
        [typeof(RemoveNixCache)] = "nxc-remove-v1",
        [typeof(GetNixCaches)] = "nxc-get-all-v1",
        [typeof(NixCacheSaved)] = "nxc-saved-v1",
        [typeof(NixCacheRemovalConfirmed)] = "nxc-removal-confirmed-v1",
        [typeof(NixCacheList)] = "nxc-list-v1",
        [typeof(NixCacheError)] = "nxc-error-v1",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Type> Types = Manifests.ToFrozenDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    /// <summary>Every type this serializer handles (for round-trip tests).</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => Manifests.Keys;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        IgnoreReadOnlyProperties = true,
    };

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{nameof(NixCacheSerializer)} cannot serialize {o.GetType()}", nameof(o));

    public override byte[] ToBinary(object obj) => obj switch
    {
        GetNixCaches => "{}"u8.ToArray(),
        _ when Manifests.ContainsKey(obj.GetType()) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json),
        _ => throw new ArgumentException($"{nameof(NixCacheSerializer)} cannot serialize {obj.GetType()}", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"{nameof(NixCacheSerializer)} does not know manifest \"{manifest}\"");
        if (type == typeof(GetNixCaches)) return GetNixCaches.Instance;
        return JsonSerializer.Deserialize(bytes, type, Json)
               ?? throw new SerializationException($"{nameof(NixCacheSerializer)}: \"{manifest}\" deserialized to null");
    }
}
