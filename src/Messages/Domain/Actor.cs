namespace Sower.Messages.Domain;

/// <summary>What kind of party an <see cref="Actor"/> is.</summary>
public enum ActorKind
{
    /// <summary>The server itself (expiry, stale detection, bootstrap, break-glass, enrollment bookkeeping).</summary>
    Server,
    /// <summary>An access token: <see cref="Actor.Sid"/> is the token sid.</summary>
    Token,
    /// <summary>A garden (its local admin socket, its schedule): <see cref="Actor.Sid"/> is the garden sid.</summary>
    Garden,
    /// <summary>A person signed in through OIDC: <see cref="Actor.Sid"/> is the provider's subject, the description
    /// the person's display name at the time.</summary>
    Person,
}

/// <summary>Who did something, for the audit trail: the acting token's sid and description (later a person), a
/// garden, or the server. The description is copied when the action happens, so the trail still reads after the
/// token is revoked or renamed.</summary>
public sealed record Actor(ActorKind Kind, string Sid, string? Description)
{
    public const string ServerSid = "system";

    /// <summary>The server acting on its own (what audit entries said for every action before actors were recorded).</summary>
    public static readonly Actor Server = new(ActorKind.Server, ServerSid, null);

    public static Actor ServerAs(string description) => new(ActorKind.Server, ServerSid, description);

    public static Actor Token(TokenId sid, string? description) => new(ActorKind.Token, sid.Value, description);

    public static Actor Garden(GardenId garden) => new(ActorKind.Garden, garden.Value, null);

    public static Actor Person(string subject, string? displayName) => new(ActorKind.Person, subject, displayName);

    /// <summary>How an audit entry written before actors were recorded reads its plain actor string: <c>system</c>
    /// is the server, a garden sid is that garden, anything else was a token owner's sid.</summary>
    public static Actor FromLegacy(string? sid) => sid switch
    {
        null or "" or ServerSid => Server,
        _ when Domain.Sid.IsValid(sid, GardenId.Prefix) => new(ActorKind.Garden, sid, null),
        _ => new(ActorKind.Token, sid, null),
    };

    /// <summary>"deploy bot (abc…)" or just the sid.</summary>
    public string Display => Description is { Length: > 0 } d ? $"{d} ({Sid})" : Sid;
}
