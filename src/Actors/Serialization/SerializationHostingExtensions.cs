using Akka.Hosting;
using Sower.Messages;

namespace Sower.Actors.Serialization;

public static class SerializationHostingExtensions
{
    /// <summary>Binds SowerSerializer to ISowerSerializable. Strict serialization is left to the caller (WithSowerStrictSerialization).</summary>
    public static AkkaConfigurationBuilder WithSowerSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("sower", [typeof(ISowerSerializable)], system => new SowerSerializer(system));
}
