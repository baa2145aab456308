using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.NixCaches;

/// <summary>Marker for every Nix cache registry message: all are bound to the Nix cache serializer.</summary>
public interface INixCacheMessage;

/// <summary>Marker for persisted Nix cache events.</summary>
public interface INixCacheEvent : INixCacheMessage
{
    string Sid { get; }
}

/// <summary>A binary cache the server recommends to clients (REFERENCE §6.3): sid prefix "nxc", unique per url.</summary>
public sealed record NixCache(string Sid, string Url, string PublicKey)
{
    public const string Prefix = "nxc";
}

/// <summary><c>By</c>: who asked, for the audit trail (recorded on the event).</summary>
public static class NixCacheCommands
{
    public sealed record AddNixCache(string Url, string PublicKey, Actor? By = null) : INixCacheMessage;

    public sealed record EditNixCache(string Sid, string Url, string PublicKey, Actor? By = null) : INixCacheMessage;

    public sealed record RemoveNixCache(string Sid, Actor? By = null) : INixCacheMessage;
}

public static class NixCacheQueries
{
    public sealed record GetNixCaches : INixCacheMessage
    {
        public static readonly GetNixCaches Instance = new();
    }
}

/// <summary><c>By</c>: who made the change (null in events written before actors were recorded).</summary>
public static class NixCacheEvents
{
    public sealed record NixCacheAdded(string Sid, string Url, string PublicKey, Actor? By = null) : INixCacheEvent;

    public sealed record NixCacheEdited(string Sid, string Url, string PublicKey, Actor? By = null) : INixCacheEvent;

    public sealed record NixCacheRemoved(string Sid, Actor? By = null) : INixCacheEvent;
}

public static class NixCacheErrorCodes
{
    public const string Invalid = "invalid";
    public const string Duplicate = "duplicate";
    public const string NotFound = "not-found";
}

public static class NixCacheReplies
{
    public sealed record NixCacheSaved(NixCache Cache) : INixCacheMessage;

    public sealed record NixCacheRemovalConfirmed(string Sid) : INixCacheMessage;

    public sealed record NixCacheList(ImmutableArray<NixCache> Caches) : INixCacheMessage;

    public sealed record NixCacheError(string Code, ImmutableArray<string> Errors) : INixCacheMessage;
}
