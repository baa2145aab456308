using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;

namespace Sower.Cli.Commands;

/// <summary><c>sower cluster show|shards|actors|gardens</c>: the server cluster from public Akka APIs (admin tokens only).</summary>
public static class ClusterCommands
{
    public static readonly string[] MemberFields = ["address", "status", "roles", "reachable", "leader", "self"];

    public static Command Create(CliIo io)
    {
        var cluster = new Command("cluster", "Inspect the server cluster (admin): members, shards, actors, connected gardens");
        cluster.Subcommands.Add(Show(io));
        cluster.Subcommands.Add(Shards(io));
        cluster.Subcommands.Add(Actors(io));
        cluster.Subcommands.Add(Gardens(io));
        return cluster;
    }

    private static Command Simple(CliIo io, string name, string description, Func<ParseResult, string> path, Action<CliIo, JsonNode, bool> print, params Symbol[] extra)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command(name, description) { json };
        foreach (var symbol in extra)
        {
            if (symbol is Option o) command.Options.Add(o);
            else if (symbol is Argument a) command.Arguments.Add(a);
        }
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var report = await api.Get(path(result), "admin", () => "no such actor");
            print(io, report, result.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CliIo io) => Simple(io, "show", "Members with roles, status and reachability, and the leader", _ => "/cluster/members", (io, r, json) =>
    {
        var members = Output.Array(r, "members").Select(m => Output.Pick(m, MemberFields)).ToList();
        if (json)
        {
            Output.Json(io, new JsonObject { ["self_address"] = Output.Str(r, "self_address"), ["leader"] = Output.Str(r, "leader"), ["members"] = new JsonArray([.. members]) });
            return;
        }
        io.Out.WriteLine($"leader: {Output.Str(r, "leader") ?? "none"}");
        Output.Table(io, ["ADDRESS", "STATUS", "REACHABLE", "ROLES", ""], members.Select(m => (IReadOnlyList<string>)
        [
            Output.Text(m["address"]), Output.Text(m["status"]), Output.Bool(m, "reachable") ? "yes" : "unreachable",
            string.Join(",", Output.Array(m, "roles").Select(x => x?.ToString())) is { Length: > 0 } roles ? roles : "-",
            string.Join(" ", new[] { Output.Bool(m, "leader") ? "leader" : null, Output.Bool(m, "self") ? "(this node)" : null }.Where(x => x is not null)),
        ]), (column, value) => column is 1 or 2 ? Output.StatusColour(value) : null);
    });

    private static Command Shards(CliIo io) => Simple(io, "shards", "Shard regions: shards and entities per node", _ => "/cluster/shards", (io, r, json) =>
    {
        var types = Output.Array(r, "types").Select(t =>
        {
            var o = Output.Pick(t, "type_name", "shards", "entities", "error");
            o["nodes"] = new JsonArray([.. Output.Array(t, "nodes").Select(n => (JsonNode)Output.Pick(n, "address", "shards", "entities"))]);
            return o;
        }).ToList();
        if (json)
        {
            Output.Json(io, new JsonObject { ["types"] = new JsonArray([.. types]) });
            return;
        }
        Output.Table(io, ["TYPE", "NODE", "SHARDS", "ENTITIES"], types.SelectMany(t =>
        {
            var nodes = Output.Array(t, "nodes");
            if (Output.Str(t, "error") is { } error) return [(IReadOnlyList<string>)[Output.Text(t["type_name"]), error, "-", "-"]];
            if (nodes.Count == 0) return [(IReadOnlyList<string>)[Output.Text(t["type_name"]), "-", "0", "0"]];
            return nodes.Select(n => (IReadOnlyList<string>)[Output.Text(t["type_name"]), Output.Text(n!["address"]), Output.Text(n["shards"]), Output.Text(n["entities"])]);
        }));
    });

    private static Command Actors(CliIo io)
    {
        var path = new Argument<string?>("PATH") { Description = "Actor path: /user (default), /system, or a full akka.tcp://… address", Arity = ArgumentArity.ZeroOrOne };
        var depth = new Option<int>("--depth", "-d") { Description = "How many levels to walk (1–20, default 3)", DefaultValueFactory = _ => 3 };
        return Simple(io, "actors", "The live actor hierarchy under PATH (Identify walk, depth-limited)",
            r => r.GetValue(depth) is >= 1 and <= 20
                ? $"/cluster/actors?path={Uri.EscapeDataString(r.GetValue(path) ?? "/user")}&depth={r.GetValue(depth)}"
                : throw new CliFailure(ExitCodes.Usage, "--depth must be from 1 to 20"), (io, r, json) =>
            {
                if (json)
                {
                    Output.Json(io, new JsonObject
                    {
                        ["path"] = Output.Str(r, "path"),
                        ["depth"] = Output.Int(r, "depth"),
                        ["truncated"] = Output.Bool(r, "truncated"),
                        ["root"] = Tree(r["root"]),
                    });
                    return;
                }
                void Print(JsonNode? node, string indent)
                {
                    io.Out.WriteLine($"{indent}{(indent.Length == 0 ? Output.Str(node, "path") : Output.Str(node, "name"))}");
                    foreach (var child in Output.Array(node, "children")) Print(child, indent + "  ");
                }
                Print(r["root"], "");
                if (Output.Bool(r, "truncated")) io.Out.WriteLine("(truncated: the walk hit its size or time limit)");
            }, path, depth);
    }

    private static JsonObject Tree(JsonNode? node) => new()
    {
        ["path"] = Output.Str(node, "path"),
        ["name"] = Output.Str(node, "name"),
        ["children"] = new JsonArray([.. Output.Array(node, "children").Select(c => (JsonNode)Tree(c))]),
    };

    public static readonly string[] GardenFields = ["garden_sid", "garden_name", "connection_sid", "node", "online_at", "version"];

    private static Command Gardens(CliIo io) => Simple(io, "gardens", "Connected gardens and the node holding each connection", _ => "/cluster/gardens", (io, r, json) =>
    {
        var gardens = Output.Array(r, "gardens").Select(g => Output.Pick(g, GardenFields)).ToList();
        if (json)
        {
            Output.Json(io, new JsonObject { ["gardens"] = new JsonArray([.. gardens]) });
            return;
        }
        Output.Table(io, ["GARDEN", "SID", "CONNECTION", "NODE", "ONLINE SINCE", "VERSION"], gardens.Select(g => (IReadOnlyList<string>)
        [
            Output.Text(g["garden_name"]), Output.Text(g["garden_sid"]), Output.Text(g["connection_sid"]), Output.Text(g["node"]),
            Output.Text(g["online_at"]), Output.Text(g["version"]),
        ]));
    });
}
