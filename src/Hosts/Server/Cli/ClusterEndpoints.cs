using System.Collections.Immutable;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Server.Inspection;
using Sower.Actors.Server.Projections;
using Sower.Messages.Tokens;
using Sower.Server.Api;
using static Sower.Actors.Server.Inspection.ClusterInspectionActor;

namespace Sower.Server.Cli;

/// <summary>
/// Admin-only cluster inspection (ARCHITECTURE §2.8): <c>GET /api/v1/cluster/members|shards|actors|gardens</c>, answered
/// by the node-local <see cref="ClusterInspectionActor"/> from public Akka APIs. Shapes are snake_case JSON.
/// </summary>
public static class ClusterEndpoints
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static void MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        var cluster = app.MapGroup("/api/v1/cluster").WithTags("cluster").RequireAuthorization(Roles.Admin);
        cluster.MapGet("/members", Members).WithSummary("Cluster members: address, status, roles, reachability, leader");
        cluster.MapGet("/shards", Shards).WithSummary("Shard regions: shards and entity counts per node");
        cluster.MapGet("/actors", Actors).WithSummary("The live actor hierarchy under a path (Identify walk, depth-limited)");
        cluster.MapGet("/gardens", Gardens).WithSummary("Connected gardens and the node holding each connection");
    }

    private static async Task<IResult> Members(ActorRegistry registry)
    {
        var report = await Inspection(registry).Ask<ClusterMembersReport>(new GetClusterMembers(), Timeout);
        return ApiWire.Ok(new
        {
            self_address = report.SelfAddress,
            leader = report.Leader,
            members = report.Members.Select(m => new
            {
                address = m.Address,
                status = m.Status,
                roles = m.Roles,

                reachable = m.Reachable,
                leader = m.IsLeader,
                self = m.IsSelf,
            }),
        });
    }

    private static async Task<IResult> Shards(ActorRegistry registry)
    {
        var report = await Inspection(registry).Ask<ShardsReport>(new GetShards(Timeout), Timeout + TimeSpan.FromSeconds(2));
        return ApiWire.Ok(new
        {
            types = report.Types.Select(t => new
            {
                type_name = t.TypeName,
                shards = t.Nodes.Sum(n => n.Shards.Length),
                entities = t.Nodes.Sum(n => n.Entities),
                error = t.Error,
                failed_shards = t.Failed,
                nodes = t.Nodes.Select(n => new
                {
                    address = n.Address,
                    shards = n.Shards.Length,
                    entities = n.Entities,
                    shard_entities = n.Shards.Select(s => new { shard_id = s.ShardId, entities = s.Entities }),
                }),
            }),
        });
    }

    private static async Task<IResult> Actors(HttpRequest request, ActorRegistry registry)
    {
        var path = request.Query["path"].ToString();
        if (string.IsNullOrEmpty(path)) path = "/user";
        var depth = 3;
        if (request.Query.TryGetValue("depth", out var d) && (!int.TryParse(d, out depth) || depth is < 1 or > 20))
        {
            return ApiWire.Error(400, "invalid parameters", ["depth: must be a whole number from 1 to 20"]);
        }
        var report = await Inspection(registry).Ask<ActorTreeReport>(new GetActorTree(path, depth, Timeout), Timeout + TimeSpan.FromSeconds(2));
        if (report.Error is { } error)
        {
            return error.StartsWith("no actor", StringComparison.Ordinal) ? ApiWire.Error(404, "not found", message: error) : ApiWire.Error(400, "invalid parameters", [$"path: {error}"]);
        }
        return ApiWire.Ok(new { path, depth, truncated = report.Truncated, root = Node(report.Root!) });
    }

    private static object Node(ActorNode node) => new
    {
        path = node.Path,
        name = node.Name,
        children = node.Children.Select(Node),
    };

    private static async Task<IResult> Gardens(ActorRegistry registry, ReadModelStore readModel)
    {
        var locations = await Inspection(registry).Ask<GardenProxyLocations>(new GetGardenProxyLocations(Timeout), Timeout + TimeSpan.FromSeconds(2));
        var model = readModel.Current;
        // Cluster-wide: the replicated presence (every member's live connections); before it was first reported, the
        // sessions this process saw (a node that just started lists nothing rather than other nodes' stale sessions).
        var sessions = model.Presence ?? model.OpenSessions.ToImmutableDictionary(s => s.Key, s => s.Value.Value);
        var gardens = sessions
            .Select(s => (Garden: model.Gardens.GetValueOrDefault(s.Key), Connection: s.Value))
            .Where(s => s.Garden is { Exists: true })
            .OrderBy(s => s.Garden!.Registration!.Name, StringComparer.Ordinal)
            .Select(s => new
            {
                garden_sid = s.Garden!.Sid.Value,
                garden_name = s.Garden.Registration!.Name,
                connection_sid = s.Connection,
                node = locations.NodeByConnection.GetValueOrDefault(s.Connection),
                online_at = s.Garden.OnlineAt is { } at ? ApiWire.Time(at) : null,
                version = s.Garden.Version,
            });
        return ApiWire.Ok(new { gardens });
    }

    private static IActorRef Inspection(ActorRegistry registry) => registry.Get<ClusterInspectionActorKey>();
}
