using System.Collections.Immutable;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheEvents;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Messages.NixCaches;

/// <summary>The outcome of a command: exactly one of an event to persist or an error to reply.</summary>
public sealed record NixCacheDecision(INixCacheEvent? Event, NixCacheError? Error);

/// <summary>The pure Nix cache registry: validation, decisions and event application (REFERENCE §6.3).</summary>
public sealed record NixCacheRegistry(ImmutableSortedDictionary<string, NixCache> Caches)
{
    public static readonly NixCacheRegistry Empty = new(ImmutableSortedDictionary<string, NixCache>.Empty.WithComparers(StringComparer.Ordinal));

    public ImmutableArray<NixCache> List() => [.. Caches.Values.OrderBy(c => c.Url, StringComparer.Ordinal)];

    /// <summary>Field errors of a cache definition: url an absolute http(s) or file URL, public key Nix's
    /// <c>name:base64-of-32-bytes</c>.</summary>
    public static ImmutableArray<string> Validate(string? url, string? publicKey)
    {
        var errors = ImmutableArray.CreateBuilder<string>();
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2000 || url.Trim() != url
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "file")
            // On Unix a bare "/path" parses as an absolute file URI: require the scheme to be written out.
            || !url.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase)
            || (uri.Scheme != "file" && string.IsNullOrEmpty(uri.Host)))
        {
            errors.Add("url: must be an absolute http://, https:// or file:// URL");
        }
        if (!IsPublicKey(publicKey))
            errors.Add("public_key: must be <name>:<base64 of a 32-byte ed25519 key>, e.g. cache.example.org-1:AbC...=");
        return errors.ToImmutable();
    }

    private static bool IsPublicKey(string? value)
    {
        if (value is null || value.Length > 500) return false;
        var colon = value.IndexOf(':');
        if (colon <= 0 || colon == value.Length - 1) return false;
        var name = value[..colon];
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return false;
        Span<byte> key = stackalloc byte[64];
        return Convert.TryFromBase64String(value[(colon + 1)..], key, out var written) && written == 32;
    }

    public NixCacheDecision Decide(AddNixCache cmd, string newSid)
    {
        if (Check(cmd.Url, cmd.PublicKey, null) is { } error) return new(null, error);
        return new(new NixCacheAdded(newSid, cmd.Url, cmd.PublicKey, cmd.By), null);
    }

    public NixCacheDecision Decide(EditNixCache cmd)
    {
        if (!Caches.ContainsKey(cmd.Sid)) return new(null, NotFound);
        if (Check(cmd.Url, cmd.PublicKey, cmd.Sid) is { } error) return new(null, error);
        return new(new NixCacheEdited(cmd.Sid, cmd.Url, cmd.PublicKey, cmd.By), null);
    }

    public NixCacheDecision Decide(RemoveNixCache cmd) =>
        Caches.ContainsKey(cmd.Sid) ? new(new NixCacheRemoved(cmd.Sid, cmd.By), null) : new(null, NotFound);

    public NixCacheRegistry Apply(INixCacheEvent evt) => evt switch
    {
        NixCacheAdded e => this with { Caches = Caches.SetItem(e.Sid, new NixCache(e.Sid, e.Url, e.PublicKey)) },
        NixCacheEdited e => this with { Caches = Caches.SetItem(e.Sid, new NixCache(e.Sid, e.Url, e.PublicKey)) },
        NixCacheRemoved e => this with { Caches = Caches.Remove(e.Sid) },
        _ => this,
    };

    private static readonly NixCacheError NotFound = new(NixCacheErrorCodes.NotFound, ["not found"]);

    private NixCacheError? Check(string url, string publicKey, string? self)
    {
        var errors = Validate(url, publicKey);
        if (errors.Length > 0) return new NixCacheError(NixCacheErrorCodes.Invalid, errors);
        if (Caches.Values.Any(c => c.Sid != self && c.Url == url))
            return new NixCacheError(NixCacheErrorCodes.Duplicate, [$"url: a Nix cache with url {url} already exists"]);
        return null;
    }
}
