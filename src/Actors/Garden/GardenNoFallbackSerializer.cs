using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Takes the place of Akka's default <c>json</c> serializer (Newtonsoft.Json, bound to <c>System.Object</c>) in the
/// garden, which has no remoting and persists only <see cref="IGardenJournalEvent"/>s: a type without an explicit
/// serializer is refused with a message instead of being written in an unversioned format, and Newtonsoft.Json is never
/// loaded (docs/benchmarks.md, "Garden").
/// </summary>
public sealed class GardenNoFallbackSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public const int SerializerId = 7302;

    /// <summary>Akka creates the <c>json</c> serializer with its <c>serialization-settings.json</c> section, unused here.</summary>
    public GardenNoFallbackSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : this(system) => _ = settings;

    public override int Identifier => SerializerId;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType()} has no serializer in the garden: anything it persists needs an explicit, versioned one (GardenJournalSerializer)");

    public override object FromBinary(byte[] bytes, Type? type) =>
        throw new SerializationException($"the garden has no serializer for {type?.ToString() ?? "this payload"} (serializer id {SerializerId})");
}
