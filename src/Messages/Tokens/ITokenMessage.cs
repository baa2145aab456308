namespace Sower.Messages.Tokens;

/// <summary>Marker for every access-token message (commands, queries, replies, events, snapshot): all are bound to
/// the token serializer, so they can be persisted and cross cluster nodes. Nothing else may implement it.</summary>
public interface ITokenMessage;

/// <summary>Marker for persisted access-token events.</summary>
public interface ITokenEvent : ITokenMessage
{
    Domain.TokenId TokenId { get; }
}
