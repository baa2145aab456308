namespace Sower.Messages;

/// <summary>
/// Marker for everything that is persisted (events, snapshots) or may cross a node boundary. Exactly one
/// serializer (Sower.Actors.Serialization.SowerSerializer) is bound to it; a round-trip test covers every implementer.
/// </summary>
public interface ISowerSerializable;

/// <summary>A persisted event. The journal's write adapter tags it by its group so projections can follow.</summary>
public interface ISowerEvent : ISowerSerializable;
