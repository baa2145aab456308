using System.Collections.Concurrent;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenNotifications;

namespace Sower.Actors.Server.Tokens;

/// <summary>
/// This node's read-only copy of the token store, folded from the store's own journal by
/// <see cref="AccessTokenReplicaActor"/>, so authentication does not depend on reaching the token-store singleton (which is
/// unreachable for the ~20 s it takes to move after its node dies). Secrets stay hashed: it holds exactly what the journal
/// holds. It is trusted only while fresh (a successful read of the journal within <see cref="MaxStaleness"/>); a revocation
/// seen on any node (<see cref="CredentialRevoked"/>, DistributedPubSub) takes effect here before the journal read catches up.
/// A miss is not an answer: the caller asks the store (a token created a moment ago on another node).
/// </summary>
public sealed class AccessTokenView(TimeProvider? time = null) : ICredentialRevocationHandler
{
    /// <summary>Older than this, the view is not used (the journal read is failing): revocation is then at most this late.</summary>
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, CredentialRevoked> _ended = new(StringComparer.Ordinal);
    private volatile Snapshot _current = new(AccessTokenStore.Empty, 0, DateTimeOffset.MinValue);

    /// <summary>The last journal sequence number folded in.</summary>
    public long SequenceNr => _current.SequenceNr;

    /// <summary>True while the view read the journal successfully within <see cref="MaxStaleness"/>.</summary>
    public bool IsFresh => _time.GetUtcNow() - _current.ReadAt <= MaxStaleness;

    /// <summary>The token of <paramref name="presented"/> when the view is fresh, knows it, its secret matches, it is
    /// unexpired and no revocation notice ended it; false means "ask the store".</summary>
    public bool TryAuthenticate(string presented, LocalDate todayUtc, out AccessTokenInfo info)
    {
        info = null!;
        var current = _current;
        if (_time.GetUtcNow() - current.ReadAt > MaxStaleness) return false;
        if (current.Store.Authenticate(presented, todayUtc) is not { } found || IsEnded(found)) return false;
        info = found;
        return true;
    }

    /// <summary>A token's stored info when the view is fresh and knows it (and no notice ended it).</summary>
    public bool TryGet(TokenId sid, out AccessTokenInfo info)
    {
        info = null!;
        var current = _current;
        if (_time.GetUtcNow() - current.ReadAt > MaxStaleness) return false;
        if (current.Store.Get(sid) is not { } found || IsEnded(found)) return false;
        info = found;
        return true;
    }

    /// <summary>Folds events read from the journal (in order) and marks the view fresh.</summary>
    public void Apply(IEnumerable<(long SequenceNr, ITokenEvent Event)> events)
    {
        var current = _current;
        var store = current.Store;
        var seq = current.SequenceNr;
        foreach (var (nr, evt) in events)
        {
            if (nr <= seq) continue;
            store = store.Apply(evt);
            seq = nr;
        }
        _current = new Snapshot(store, seq, _time.GetUtcNow());
    }

    public void Handle(CredentialRevoked notice) => _ended[notice.TokenId.Value] = notice;

    private bool IsEnded(AccessTokenInfo token) =>
        _ended.TryGetValue(token.Sid.Value, out var notice) && notice.Ends(token.Sid, token.SecretIssuedAt);

    private sealed record Snapshot(AccessTokenStore Store, long SequenceNr, DateTimeOffset ReadAt);
}
