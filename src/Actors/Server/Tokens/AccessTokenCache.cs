using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;

namespace Sower.Actors.Server.Tokens;

/// <summary>A short-lived, per-node cache of successful token lookups, so each request does not ask the token store.
/// Keys are SHA-256 of the presented string (no plaintext is kept). The token store and the token API invalidate
/// a sid here as soon as it is revoked or regenerated, so revocation takes effect at once on that node; other nodes
/// forget within <see cref="TimeToLive"/>.</summary>
public sealed class AccessTokenCache(TimeSpan timeToLive, TimeProvider? time = null)
{
    public static readonly TimeSpan DefaultTimeToLive = TimeSpan.FromSeconds(10);
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public AccessTokenCache() : this(DefaultTimeToLive) { }

    public TimeSpan TimeToLive { get; } = timeToLive;

    public bool TryGet(string presented, out AccessTokenInfo info)
    {
        info = null!;
        if (!_entries.TryGetValue(Key(presented), out var entry)) return false;
        if (_time.GetUtcNow() >= entry.Until)
        {
            _entries.TryRemove(Key(presented), out _);
            return false;
        }
        info = entry.Info;
        return true;
    }

    public void Add(string presented, AccessTokenInfo info)
    {
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[Key(presented)] = new Entry(info, _time.GetUtcNow() + TimeToLive);
    }

    public void Invalidate(TokenId sid)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.Info.Sid == sid) _entries.TryRemove(key, out _);
        }
    }

    private static string Key(string presented) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    private sealed record Entry(AccessTokenInfo Info, DateTimeOffset Until);
}
