using System.Collections.Frozen;
using System.Text.Json;
using Akka.Actor;
using Sower.Actors.Serialization;
using Sower.Messages.NixCaches;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheEvents;
using static Sower.Messages.NixCaches.NixCacheQueries;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Actors.Server.NixCaches;

/// <summary>System.Text.Json serializer for every <see cref="INixCacheMessage"/>: persisted events and the protocol
/// that crosses cluster nodes. Manifests are stable: NEVER change one; add a "-v2" and keep reading "-v1".</summary>
public sealed class NixCacheSerializer(ExtendedActorSystem system) : ManifestJsonSerializer(system, Manifests, Legacy, Json, GetNixCaches.Instance)
{
    public const int SerializerId = 202;
    public const string Name = "sower-nix-caches";

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        // v2: commands and events carry who acted (an Actor, issue 12 finding 7); v1 events still read (no actor).
        [typeof(NixCacheAdded)] = "nxc-added-v2",
        [typeof(NixCacheEdited)] = "nxc-edited-v2",
        [typeof(NixCacheRemoved)] = "nxc-removed-v2",
        [typeof(AddNixCache)] = "nxc-add-v2",
        [typeof(EditNixCache)] = "nxc-edit-v2",
        [typeof(RemoveNixCache)] = "nxc-remove-v2",
        [typeof(GetNixCaches)] = "nxc-get-all-v1",
        [typeof(NixCacheSaved)] = "nxc-saved-v1",
        [typeof(NixCacheRemovalConfirmed)] = "nxc-removal-confirmed-v1",
        [typeof(NixCacheList)] = "nxc-list-v1",
        [typeof(NixCacheError)] = "nxc-error-v1",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Type> Legacy = new Dictionary<string, Type>
    {
        ["nxc-added-v1"] = typeof(NixCacheAdded),
        ["nxc-edited-v1"] = typeof(NixCacheEdited),
        ["nxc-removed-v1"] = typeof(NixCacheRemoved),
    }.ToFrozenDictionary();

    /// <summary>Every type this serializer handles (for round-trip tests).</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => Manifests.Keys;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        IgnoreReadOnlyProperties = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public override int Identifier => SerializerId;
}
