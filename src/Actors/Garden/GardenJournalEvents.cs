using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>JSON with explicit, never-changed manifests for the garden's journal.</summary>
public sealed class GardenJournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7301;

    private const string OutboxAppendedV2 = "outbox-appended-v2";

    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(GardenJournalEvents.OutboxAppended)] = "outbox-appended-v1",
        [typeof(GardenJournalEvents.OutboxMessageAppended)] = OutboxAppendedV2,
        [typeof(GardenJournalEvents.OutboxDelivered)] = "outbox-delivered-v1",
        [typeof(GardenJournalEvents.DeploymentAccepted)] = "deployment-accepted-v1",
        [typeof(GardenJournalEvents.DeploymentFinished)] = "deployment-finished-v1",
        [typeof(GardenJournalEvents.ActivationStarted)] = "activation-started-v2",
        [typeof(GardenJournalEvents.SeedFinished)] = "seed-finished-v1",
        [typeof(GardenJournalEvents.LiveSwitchStarted)] = "live-switch-started-v1",
        [typeof(GardenJournalEvents.DeploymentCompleted)] = "deployment-completed-v1",
        [typeof(GardenJournalEvents.RollbackArmed)] = "rollback-armed-v1",
        [typeof(GardenJournalEvents.ConfirmationAwaited)] = "confirmation-awaited-v1",
    };

    /// <summary>Older manifests still read: a v1 activation-started has no user, which reads as null.</summary>
    private static readonly Dictionary<string, Type> Types = new(Manifests.ToDictionary(kv => kv.Value, kv => kv.Key))
    {
        ["activation-started-v1"] = typeof(GardenJournalEvents.ActivationStarted),
    };

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest) ? manifest : throw new ArgumentException($"no manifest for {o.GetType()}", nameof(o));

    public override byte[] ToBinary(object obj) => obj is GardenJournalEvents.OutboxMessageAppended appended
        ? Encoding.UTF8.GetBytes(JsonSerializer.Serialize(
            new OutboxMessageV2(appended.Seq, GatewayRequests.MethodOf(appended.Message), GatewayRequests.ToPayload(appended.Message)), Options))
        : Encoding.UTF8.GetBytes(JsonSerializer.Serialize(obj, obj.GetType(), Options));

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == OutboxAppendedV2)
        {
            var stored = JsonSerializer.Deserialize<OutboxMessageV2>(bytes, Options) ?? throw new SerializationException($"empty {manifest}");
            var message = GatewayRequests.FromPayload(stored.Method, stored.Message)
                ?? throw new SerializationException($"{manifest} {stored.Seq}: no gateway request {stored.Method} in its payload");
            return new GardenJournalEvents.OutboxMessageAppended(stored.Seq, message);
        }
        if (!Types.TryGetValue(manifest, out var type)) throw new SerializationException($"unknown garden journal manifest {manifest}");
        return JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"empty {manifest}");
    }

    /// <summary>The stored shape of outbox-appended-v2: the hub method names the record type of the payload.</summary>
    private sealed record OutboxMessageV2(long Seq, string Method, JsonObject Message);
}
