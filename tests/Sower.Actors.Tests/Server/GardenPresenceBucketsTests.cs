using Sower.Actors.Server.Presence;
using Sower.Messages.Domain;

namespace Sower.Actors.Tests.Server;

/// <summary>The presence keys a garden is written to: the same on every node and version, and spread evenly.</summary>
public sealed class GardenPresenceBucketsTests
{
    [Fact]
    public void A_gardens_bucket_is_a_fixed_function_of_its_sid()
    {
        // Pinned values: every node of a cluster, old and new, must put a garden in one key.
        Assert.Equal(24, GardenPresenceBuckets.Of("gdn_01HZZZZZZZZZZZZZZZZZZZZZZZ"));
        Assert.Equal(5, GardenPresenceBuckets.Of(""));
        Assert.Equal(44, GardenPresenceBuckets.Of("a"));
        Assert.Equal("sower-garden-presence-24", GardenPresenceBuckets.Keys[24].Id);
        Assert.Equal(24, GardenPresenceBuckets.IndexOf(GardenPresenceBuckets.Keys[24]));
        Assert.Null(GardenPresenceBuckets.IndexOf(new Akka.DistributedData.LWWDictionaryKey<string, string>("sower-garden-presence")));
    }

    [Fact]
    public void Ten_thousand_gardens_spread_over_every_bucket_without_a_hot_one()
    {
        var sizes = Enumerable.Range(0, 10_000).Select(_ => GardenPresenceBuckets.Of(GardenId.New().Value)).GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(GardenPresenceBuckets.Count, sizes.Count);
        Assert.All(sizes.Values, size => Assert.InRange(size, 80, 240)); // 156 on average
    }
}
