using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Gateway;

namespace Sower.Messages.GardenDaemon;

/// <summary>A message in the garden's durable outbox: a typed request, or (journaled by an older garden in a shape no record reads) its raw payload.</summary>
public sealed record OutboxItem(string Method, IGatewayRequest? Message, JsonObject? RawPayload)
{
    public static OutboxItem Of(IGatewayRequest message) => new(GatewayRequests.MethodOf(message), message, null);

    /// <summary>An entry of the v1 outbox (method and payload text): read back into its record, else kept as it was.</summary>
    public static OutboxItem Legacy(string method, string payloadJson)
    {
        JsonObject? raw;
        try { raw = JsonNode.Parse(payloadJson) as JsonObject; }
        catch (System.Text.Json.JsonException) { raw = null; }
        // An unreadable payload goes out as it always did: an empty object, for the server to refuse with a reason.
        if (raw is null) return new(method, null, new JsonObject());
        return GatewayRequests.FromPayload(method, raw) is { } typed ? new(method, typed, null) : new(method, null, raw);
    }

    /// <summary>The payload on the wire.</summary>
    public JsonObject Payload() => Message is not null ? GatewayRequests.ToPayload(Message) : RawPayload ?? new JsonObject();
}

/// <summary>What a reply to an outbox message means for it.</summary>
public enum OutboxVerdict
{
    /// <summary>No reply (transport error, timeout) or the server asks to try later: send it again.</summary>
    Retry,

    /// <summary>The server took it.</summary>
    Delivered,

    /// <summary>The server refused it for good: logged and dropped, never retried (it would be refused again).</summary>
    Refused,
}

/// <summary>
/// The garden's durable outbox (REFERENCE §5.6): messages in sequence order, delivered one at a time, at least once. Pure state:
/// the link journals <see cref="Appended"/> and <see cref="Delivered"/> and asks <see cref="Next"/> what to send.
/// </summary>
public sealed record GardenOutbox(ImmutableSortedDictionary<long, OutboxItem> Pending, long NextSeq, long? InFlight)
{
    public static readonly GardenOutbox Empty = new(ImmutableSortedDictionary<long, OutboxItem>.Empty, 1, null);

    public GardenOutbox Appended(long seq, OutboxItem item) => this with { Pending = Pending.SetItem(seq, item), NextSeq = Math.Max(NextSeq, seq + 1) };

    public GardenOutbox Delivered(long seq) => this with { Pending = Pending.Remove(seq), InFlight = InFlight == seq ? null : InFlight };

    /// <summary>The oldest message, when nothing is in flight: the caller sends it and keeps the returned state (it is now in flight).</summary>
    public (GardenOutbox State, long Seq, OutboxItem Item)? Next()
    {
        if (InFlight is not null || Pending.IsEmpty) return null;
        var (seq, item) = Pending.First();
        return (this with { InFlight = seq }, seq, item);
    }

    /// <summary>The message in flight will not be answered (its connection is gone, or it is to be retried): the next <see cref="Next"/> sends it again.</summary>
    public GardenOutbox Released() => this with { InFlight = null };

    /// <summary>True when the reply concerns the message in flight (a reply from an older connection, or to a message retried since, does not).</summary>
    public bool Awaits(long seq) => InFlight == seq;

    public static OutboxVerdict Judge(GatewayReply? reply) => reply switch
    {
        null => OutboxVerdict.Retry,
        { ErrorCode: GatewayErrors.Unavailable or GatewayErrors.RateLimited or GatewayErrors.NotJoined } => OutboxVerdict.Retry,
        { Ok: true } => OutboxVerdict.Delivered,
        _ => OutboxVerdict.Refused,
    };
}
