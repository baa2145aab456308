using Akka.DistributedData;

namespace Sower.Actors.Server.Presence;

/// <summary>
/// Which of the replicated presence keys holds a garden: a hash of its sid that every node and every version computes
/// alike (not <see cref="string.GetHashCode()"/>, which differs per process), so all nodes write a garden to one key.
/// </summary>
public static class GardenPresenceBuckets
{
    public const int Count = 64;

    public static readonly IReadOnlyList<LWWDictionaryKey<string, string>> Keys =
        [.. Enumerable.Range(0, Count).Select(i => new LWWDictionaryKey<string, string>($"sower-garden-presence-{i}"))];

    /// <summary>FNV-1a over the sid's UTF-16 code units, modulo <see cref="Count"/>.</summary>
    public static int Of(string garden)
    {
        var hash = 2166136261u;
        foreach (var c in garden)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % Count);
    }

    /// <summary>The bucket a replicated key is, or null for a key that is not one of ours.</summary>
    public static int? IndexOf(IKey key)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            if (Keys[i].Equals(key)) return i;
        }
        return null;
    }
}
