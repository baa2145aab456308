using System.Collections.Concurrent;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// A fleet-wide realtime fan-out (issue 17) over real WebSockets: many gardens follow one seed line, and the seed line's
/// retry interval is so short that deliveries are re-sent while the garden entities are still creating the deployments.
/// Every garden must still get exactly one deployment and exactly one push (a re-sent delivery is acknowledged, never
/// re-planned or re-pushed). Not timed: the limits below only bound a hung run.
/// </summary>
public sealed class FanOutToManyGardensTests : IAsyncLifetime
{
    private const int Gardens = 200;
    private readonly TestServer _server = new() { Entities = s => s with { FanOutRetryInterval = TimeSpan.FromMilliseconds(100) } };
    private readonly List<TestGarden> _gardens = [];

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var garden in _gardens) await garden.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_seed_followed_by_200_gardens_creates_exactly_one_deployment_and_one_push_per_garden_despite_retries()
    {
        var connected = new ConcurrentBag<TestGarden>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Gardens), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var garden = await TestGarden.EnrollAndConnect(_server, $"fan{i:000}");
            connected.Add(garden);
            await garden.Sync(Subscriptions.NixOS("system", "fanout-fleet", Subscriptions.RealtimePolicy));
        });
        _gardens.AddRange(connected);

        var seed = await Seeds.Submit(_server, "fanout-fleet");
        var seedSid = seed.GetProperty("sid").GetString()!;

        var pushed = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(_gardens, new ParallelOptions { MaxDegreeOfParallelism = Gardens }, async (garden, _) =>
        {
            var (_, push) = await garden.NextPush((n, _) => n == GatewayProtocol.PushDeployment, TimeSpan.FromSeconds(180));
            Assert.False(push.GetProperty("skipped").GetBoolean(), $"{garden.Name}'s first push is a skipped duplicate: {push}");
            Assert.Equal(seedSid, push.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString());
            Assert.True(pushed.TryAdd(garden.Sid, push.GetProperty("sid").GetString()!), $"{garden.Name} pushed twice");
        });
        Assert.Equal(Gardens, pushed.Values.Distinct(StringComparer.Ordinal).Count());

        // The listing reaches exactly one deployment per garden …
        await Wait.ForAsync(async () =>
        {
            var page = await _server.GetJson("/api/v1/deployments?per_page=1");
            return page.GetProperty("total").GetInt32() >= Gardens ? "all" : null;
        }, TimeSpan.FromSeconds(120), "every deployment in the listing");
        // … and stays there once every retry the seed line could still make has had its time (an unacknowledged delivery is re-sent after 0.1 s, 0.4 s more, then every 1.6 s, six attempts in all; an acknowledged one never).
        var quiet = await Task.WhenAll(_gardens.Select(g => g.NoPushWithin(TimeSpan.FromSeconds(3))));
        Assert.All(quiet, Assert.True);
        Assert.Equal(Gardens, (await _server.GetJson("/api/v1/deployments?per_page=1")).GetProperty("total").GetInt32());
        foreach (var garden in _gardens)
        {
            var mine = await _server.GetJson($"/api/v1/deployments?garden={garden.Sid}");
            var items = mine.GetProperty("items").EnumerateArray().ToList();
            Assert.Single(items);
            Assert.Equal(pushed[garden.Sid], items[0].GetProperty("sid").GetString());
        }
    }
}
