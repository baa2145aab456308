using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using NodaTime;
using Sower.Actors.Metrics;
using Sower.Actors.Server.Projections;
using Sower.Messages.Deployments;
using Sower.Server.Configuration;
using Sower.Server.Gateway;

namespace Sower.Server.Metrics;

/// <summary>
/// The gauges of one server node, observed only when /metrics is scraped: gardens (this node's connections, and from the
/// read model the cluster-wide registered/online/stale/failing counts), deployments by state and result, and this node's
/// shards and entities per entity type. Labels are closed sets; no id ever becomes a label.
/// </summary>
public sealed class ServerGauges : IDisposable
{
    private static readonly TimeSpan ShardRefresh = TimeSpan.FromSeconds(10);
    private readonly Meter _meter;
    private readonly ReadModelStore _readModel;
    private readonly IClock _clock;
    private readonly Duration _staleAfter;
    private readonly IServiceProvider _services;
    private volatile IReadOnlyList<(string Type, int Shards, int Entities)> _shards = [];
    private long _shardsAsked;

    public ServerGauges(IMeterFactory factory, ReadModelStore readModel, GardenSessions sessions, ServerOptions options, IClock clock, IServiceProvider services)
    {
        _readModel = readModel;
        _clock = clock;
        _staleAfter = Duration.FromSeconds(options.StaleAfterSeconds);
        _services = services;
        _meter = factory.Create(ServerInstruments.MeterName);
        _meter.CreateObservableGauge("sower.gardens.connected", () => sessions.Count, "{garden}",
            "Garden gateway connections held by this node.");
        _meter.CreateObservableGauge("sower.gardens.registered", () => Gardens().Registered, "{garden}", "Registered gardens (cluster-wide).");
        _meter.CreateObservableGauge("sower.gardens.online", () => Gardens().Online, "{garden}", "Registered gardens with an open session (cluster-wide).");
        _meter.CreateObservableGauge("sower.gardens.stale", () => Gardens().Stale, "{garden}",
            "Registered gardens offline for longer than stale_after.");
        _meter.CreateObservableGauge("sower.gardens.failing", () => Gardens().Failing, "{garden}",
            "Registered gardens whose latest completed deployment failed, was partial or was rolled back.");
        _meter.CreateObservableGauge("sower.deployments", ObserveDeployments, "{deployment}",
            "Deployments known to the read model, by state and result (result \"none\" until completed).");
        _meter.CreateObservableGauge("sower.cluster.shards", () => ObserveShards(s => s.Shards), "{shard}", "Shards hosted by this node, by entity type.");
        _meter.CreateObservableGauge("sower.cluster.entities", () => ObserveShards(s => s.Entities), "{entity}",
            "Live entities on this node, by entity type.");
    }

    public void Dispose() => _meter.Dispose();

    private (int Registered, int Online, int Stale, int Failing) _gardens;
    private long _gardensAt;

    /// <summary>One fold per scrape (the four garden gauges are observed together).</summary>
    private (int Registered, int Online, int Stale, int Failing) Gardens()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _gardensAt) < 1000) return _gardens;
        var model = _readModel.Current;
        var instant = _clock.GetCurrentInstant();
        var latest = new Dictionary<string, DeploymentRecord>(StringComparer.Ordinal);
        foreach (var d in model.Deployments.Values)
        {
            if (d.State != DeploymentState.Completed) continue;
            if (!latest.TryGetValue(d.Garden.Value, out var seen) || (d.DeployedAt ?? d.CreatedAt) > (seen.DeployedAt ?? seen.CreatedAt)) latest[d.Garden.Value] = d;
        }
        int registered = 0, online = 0, stale = 0, failing = 0;
        foreach (var g in model.Gardens.Values)
        {
            if (!g.Exists) continue;
            registered++;
            if (model.IsOnline(g.Sid)) online++;
            else if (g.LastSeen is not { } seen || instant - seen > _staleAfter) stale++;
            if (latest.TryGetValue(g.Sid.Value, out var last) && last.Result is { } r && r.IsFailure()) failing++;
        }
        _gardens = (registered, online, stale, failing);
        Interlocked.Exchange(ref _gardensAt, now);
        return _gardens;
    }

    private IEnumerable<Measurement<int>> ObserveDeployments()
    {
        var counts = new Dictionary<(DeploymentState, DeploymentResult?), int>();
        foreach (var d in _readModel.Current.Deployments.Values) counts[(d.State, d.Result)] = counts.GetValueOrDefault((d.State, d.Result)) + 1;
        foreach (var ((state, result), count) in counts)
        {
            yield return new Measurement<int>(count, new KeyValuePair<string, object?>("state", state.ToWire()),
                new KeyValuePair<string, object?>("result", result?.ToWire() ?? "none"));
        }
    }

    /// <summary>Reports the last answer of the shard regions and asks again in the background when it is older than
    /// <see cref="ShardRefresh"/> (an observable callback must not wait).</summary>
    private IEnumerable<Measurement<int>> ObserveShards(Func<(string Type, int Shards, int Entities), int> pick)
    {
        var now = Environment.TickCount64;
        var asked = Interlocked.Read(ref _shardsAsked);
        if (now - asked > ShardRefresh.TotalMilliseconds && Interlocked.CompareExchange(ref _shardsAsked, now, asked) == asked) _ = RefreshShardsAsync();
        return _shards.Select(s => new Measurement<int>(pick(s), new KeyValuePair<string, object?>("type", s.Type))).ToList();
    }

    private async Task RefreshShardsAsync()
    {
        try
        {
            if (_services.GetService<ActorSystem>() is not { } system) return;
            var sharding = ClusterSharding.Get(system);
            var rows = new List<(string, int, int)>();
            foreach (var type in sharding.ShardTypeNames.Order(StringComparer.Ordinal))
            {
                var state = await sharding.ShardRegion(type).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5))
                    .ConfigureAwait(false);
                rows.Add((type, state.Shards.Count, state.Shards.Sum(s => s.EntityIds.Count)));
            }
            _shards = rows;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or TimeoutException or InvalidOperationException)
        {
            // The next scrape asks again; until then the last answer stands.
        }
    }
}
