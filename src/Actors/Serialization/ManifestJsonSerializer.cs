using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Sower.Actors.Serialization;

/// <summary>
/// The skeleton of a bounded protocol's serializer: System.Text.Json under an explicit, versioned string manifest per
/// type. Parameterless singletons (commands and replies without data) travel as <c>{}</c> and come back as their
/// instance. Manifests are stable: NEVER change one; add a "-v2" and keep reading "-v1".
/// </summary>
public abstract class ManifestJsonSerializer : SerializerWithStringManifest
{
    private readonly string _name;
    private readonly FrozenDictionary<Type, string> _manifests;
    private readonly FrozenDictionary<string, Type> _types;
    private readonly FrozenDictionary<Type, object> _singletons;
    private readonly JsonSerializerOptions _json;

    protected ManifestJsonSerializer(ExtendedActorSystem system, FrozenDictionary<Type, string> manifests, JsonSerializerOptions json,
        params object[] singletons) : this(system, manifests, FrozenDictionary<string, Type>.Empty, json, singletons) { }

    /// <param name="legacy">Older manifests still read, each into the type that replaced it (whose added members
    /// read as their defaults); they are never written.</param>
    protected ManifestJsonSerializer(ExtendedActorSystem system, FrozenDictionary<Type, string> manifests, FrozenDictionary<string, Type> legacy,
        JsonSerializerOptions json, params object[] singletons) : base(system)
    {
        _name = GetType().Name;
        _manifests = manifests;
        _types = manifests.Select(kv => KeyValuePair.Create(kv.Value, kv.Key)).Concat(legacy).ToFrozenDictionary(StringComparer.Ordinal);
        _singletons = singletons.ToFrozenDictionary(s => s.GetType());
        _json = json;
    }

    /// <summary>Every manifest this serializer reads (current and legacy).</summary>
    public IReadOnlyCollection<string> ReadableManifests => _types.Keys;

    public override string Manifest(object o) =>
        _manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{_name} cannot serialize {o.GetType()}", nameof(o));

    public override byte[] ToBinary(object obj)
    {
        var type = obj.GetType();
        if (!_manifests.ContainsKey(type)) throw new ArgumentException($"{_name} cannot serialize {type}", nameof(obj));
        return _singletons.ContainsKey(type) ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(obj, type, _json);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!_types.TryGetValue(manifest, out var type)) throw new SerializationException($"{_name} does not know manifest \"{manifest}\"");
        if (_singletons.TryGetValue(type, out var instance)) return instance;
        return JsonSerializer.Deserialize(bytes, type, _json) ?? throw new SerializationException($"{_name}: \"{manifest}\" deserialized to null");
    }
}
