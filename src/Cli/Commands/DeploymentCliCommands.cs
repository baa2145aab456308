using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Domain;

namespace Sower.Cli.Commands;

/// <summary><c>sower deploy GARDEN SUBSCRIPTION</c> (or <c>-l SELECTOR</c>, see <see cref="SelectorDeployCommand"/>) and <c>sower deployment list|show|follow|approve|reject|retry</c>.</summary>
public static class DeploymentCliCommands
{
    public static readonly string[] ListFields =
        ["sid", "garden_sid", "garden_name", "state", "result", "trigger", "reason", "approved", "created_at", "deployed_at", "parent", "retry_ordinal", "subscriptions"];

    public static readonly string[] DetailFields =
        ["sid", "garden_sid", "state", "result", "trigger", "reason", "approved", "request_id", "created_at", "last_dispatched_at", "deployed_at", "parent",
         "retry_ordinal", "confirm_rules"];

    public static readonly string[] AcceptedFields = ["request_id", "deployment_sid", "awaiting_approval"];

    public static Command CreateDeploy(CliIo io)
    {
        var connection = new ConnectionOptions();
        var garden = new Argument<string?>("GARDEN") { Description = "Garden name or sid (with -l: the subscription name, optional)", Arity = ArgumentArity.ZeroOrOne };
        var subscription = new Argument<string?>("SUBSCRIPTION") { Description = "Subscription name (of that garden) or sid", Arity = ArgumentArity.ZeroOrOne };
        var selector = GardenLabelCommands.SelectorOption();
        selector.Description = "Deploy to every garden whose labels match (e.g. role=web,zone=eu-1) instead of one garden; refused when none matches";
        var type = new Option<string?>("--type", "-t") { Description = "With -l: only the gardens' subscriptions of this seed type" };
        var seed = new Option<string?>("--seed") { Description = "Deploy this seed (it must match the subscription) instead of the latest" };
        var force = new Option<bool>("--force") { Description = "Deploy even when the same seeds were deployed already (manual deploys always are)" };
        var wait = new Option<bool>("--wait") { Description = "Follow the deployment until it finishes" };
        var timeout = new Option<string?>("--timeout") { Description = "With --wait: give up after this long (default 30m)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("deploy", "Deploy a subscription's latest (or a given) seed now, under its policy (trigger manual)")
        {
            garden, subscription, seed, force, wait, timeout, json, selector, type,
        };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, cancellation) =>
        {
            var server = connection.Resolve(result, io);
            if (result.GetValue(selector) is { } labels)
            {
                if (result.GetValue(subscription) is not null)
                {
                    throw new CliFailure(ExitCodes.Usage, "with -l the gardens come from the selector: give at most the subscription name (sower deploy -l SELECTOR [SUBSCRIPTION])");
                }
                var waitFor = result.GetValue(timeout) is { } given ? CommandRunner.ParseDuration(given, "--timeout") : TimeSpan.FromMinutes(30);
                return await SelectorDeployCommand.Run(io, server, labels, result.GetValue(garden), result.GetValue(type), result.GetValue(seed),
                    result.GetValue(wait), waitFor, result.GetValue(json), cancellation);
            }
            if (result.GetValue(garden) is null || result.GetValue(subscription) is null)
            {
                throw new CliFailure(ExitCodes.Usage, "name the garden and the subscription (sower deploy GARDEN SUBSCRIPTION), or a label selector (sower deploy -l role=web)");
            }
            if (result.GetValue(type) is not null) throw new CliFailure(ExitCodes.Usage, "--type goes with -l; for one garden name the subscription");
            JsonNode accepted;
            using (var api = new ApiClient(server))
            {
                var gardenSid = await GardenCliCommands.ResolveGarden(api, result.GetValue(garden)!);
                var g = await api.Get($"/gardens/{gardenSid}", "garden:read", () => $"no garden {result.GetValue(garden)}");
                var wanted = result.GetValue(subscription)!;
                var sub = Output.Array(g, "subscriptions").FirstOrDefault(s => Output.Str(s, "name") == wanted || Output.Str(s, "sid") == wanted)
                          ?? throw new CliFailure(ExitCodes.NotFound, $"garden {Output.Str(g, "name")} has no subscription {wanted}");
                var body = new JsonObject();
                if (result.GetValue(seed) is { } seedSid) body["seed_sid"] = seedSid;
                accepted = await api.Post($"/subscriptions/{Output.Str(sub, "sid")}/deploy", body, "deployment:write", () => "not found");
            }
            var summary = Output.Pick(accepted, AcceptedFields);
            if (!result.GetValue(wait))
            {
                if (result.GetValue(json)) Output.Json(io, summary);
                else PrintAccepted(io, summary);
                return ExitCodes.Ok;
            }
            if (!result.GetValue(json)) PrintAccepted(io, summary);
            else Output.Json(io, summary);
            var follow = Output.Str(summary, "deployment_sid") ?? Output.Str(summary, "request_id")!;
            var limit = result.GetValue(timeout) is { } t ? CommandRunner.ParseDuration(t, "--timeout") : TimeSpan.FromMinutes(30);
            return await Follow(io, server, follow, stopAtApproval: true, result.GetValue(json), limit, cancellation);
        });
        return command;
    }

    private static void PrintAccepted(CliIo io, JsonObject summary)
    {
        var sid = Output.Str(summary, "deployment_sid");
        if (Output.Bool(summary, "awaiting_approval")) io.Out.WriteLine($"approval requested: deployment {sid} awaits approval (sower deployment approve {sid})");
        else io.Out.WriteLine(sid is null ? $"deployment requested ({Output.Str(summary, "request_id")})" : $"deployment {sid} created ({Output.Str(summary, "request_id")})");
    }

    public static async Task<int> Follow(CliIo io, ServerConnection server, string sid, bool stopAtApproval, bool json, TimeSpan? timeout, CancellationToken cancellation)
    {
        await using var hub = new CliHubClient(server);
        await hub.Connect(cancellation);
        var events = hub.Stream("FollowDeployment", "deployment:read", [sid, stopAtApproval], cancellation);
        return await new RolloutPrinter(io, json).Consume(events, timeout, cancellation, $"deployment {sid}");
    }

    public static Command Create(CliIo io)
    {
        var deployment = new Command("deployment", "Deployments: list, show, follow the live log, approve, reject, retry");
        deployment.Subcommands.Add(List(io));
        deployment.Subcommands.Add(Show(io));
        deployment.Subcommands.Add(FollowCommand(io));
        deployment.Subcommands.Add(Decide(io, "approve", "Approve a deployment awaiting approval (it is dispatched)"));
        deployment.Subcommands.Add(Decide(io, "reject", "Reject a deployment awaiting approval (it is canceled)"));
        deployment.Subcommands.Add(Retry(io));
        return deployment;
    }

    private static Command List(CliIo io)
    {
        var connection = new ConnectionOptions();
        var garden = new Option<string?>("--garden") { Description = "Only this garden (sid, or part of its name)" };
        var state = new Option<string?>("--state") { Description = "awaiting_approval, dispatched, acknowledged, completed, stale or canceled" };
        var resultFilter = new Option<string?>("--result") { Description = "success, failure, partial, skipped, warning or rolled_back" };
        var limit = new Option<int>("--limit") { Description = "At most this many (1–200, default 50)", DefaultValueFactory = _ => 50 };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("list", "List deployments, newest first") { garden, state, resultFilter, limit, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var max = result.GetValue(limit);
            if (max is < 1 or > 200) throw new CliFailure(ExitCodes.Usage, "--limit must be from 1 to 200");
            var query = $"/deployments?per_page={max}";
            if (result.GetValue(garden) is { } g) query += "&garden=" + Uri.EscapeDataString(g);
            if (result.GetValue(state) is { } s) query += "&state=" + Uri.EscapeDataString(s);
            if (result.GetValue(resultFilter) is { } r) query += "&result=" + Uri.EscapeDataString(r);
            using var api = new ApiClient(connection.Resolve(result, io));
            var page = await api.Get(query, "deployment:read");
            var items = Output.Array(page, "items").Select(d => Output.Pick(d, ListFields)).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["deployments"] = new JsonArray([.. items]), ["total"] = Output.Int(page, "total") });
                return ExitCodes.Ok;
            }
            Output.Table(io, ["SID", "GARDEN", "STATE", "RESULT", "TRIGGER", "CREATED", "COMPLETED"], items.Select(d => (IReadOnlyList<string>)
            [
                Output.Text(d["sid"]), Output.Str(d, "garden_name") ?? Output.Text(d["garden_sid"]), Output.Text(d["state"]), Output.Text(d["result"]),
                Output.Text(d["trigger"]), Output.Text(d["created_at"]), Output.Text(d["deployed_at"]),
            ]), (column, value) => column is 2 or 3 ? Output.StatusColour(value) : null);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static JsonObject Detail(JsonNode d)
    {
        var detail = Output.Pick(d, DetailFields);
        detail["seeds"] = new JsonArray([.. Output.Array(d, "seeds").Select(s => (JsonNode)new JsonObject
        {
            ["subscription_sid"] = Output.Str(s, "subscription_sid"),
            ["subscription_name"] = Output.Str(s, "subscription_name"),
            ["seed_sid"] = Output.Str(s?["seed"], "sid"),
            ["seed_name"] = Output.Str(s?["seed"], "name"),
            ["seed_type"] = Output.Str(s?["seed"], "seed_type"),
            ["artifact"] = Output.Str(s?["seed"], "artifact"),
            ["authorized_action"] = Output.Str(s, "authorized_action"),
            ["executed_action"] = Output.Str(s, "executed_action"),
            ["state"] = Output.Str(s, "state"),
            ["result"] = Output.Str(s, "result"),
            ["log"] = Output.Str(s, "log") ?? "",
        })]);
        detail["events"] = new JsonArray([.. Output.Array(d, "events").Select(e => (JsonNode)Output.Pick(e, "type", "reason", "actor", "actor_kind", "actor_description", "at", "detail"))]);
        return detail;
    }

    private static Command Show(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The deployment's sid (dply_…)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("show", "One deployment: seeds with actions, states and logs, and its audit events") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var detail = Detail(await api.Get($"/deployments/{Uri.EscapeDataString(id)}", "deployment:read", () => $"no deployment {id}"));
            if (result.GetValue(json))
            {
                Output.Json(io, detail);
                return ExitCodes.Ok;
            }
            Output.Fields(io,
            [
                ("sid", Output.Str(detail, "sid")), ("garden", Output.Str(detail, "garden_sid")),
                ("state", Output.Style(io, Output.Str(detail, "state") ?? "-", Output.StatusColour(Output.Str(detail, "state") ?? "") ?? "0")),
                ("result", Output.Str(detail, "result")), ("trigger", $"{Output.Str(detail, "trigger")} ({Output.Str(detail, "reason")})"),
                ("created", Output.Str(detail, "created_at")), ("completed", Output.Str(detail, "deployed_at")),
            ]);
            foreach (var s in Output.Array(detail, "seeds"))
            {
                io.Out.WriteLine();
                io.Out.WriteLine($"{Output.Str(s, "seed_type")}/{Output.Str(s, "seed_name")} ({Output.Str(s, "subscription_name")}): {Output.Str(s, "artifact")}");
                io.Out.WriteLine($"  action {Output.Str(s, "authorized_action")}, executed {Output.Str(s, "executed_action") ?? "-"}, {Output.Str(s, "state")} {Output.Str(s, "result")}");
                foreach (var line in (Output.Str(s, "log") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)) io.Out.WriteLine($"  | {line}");
            }
            io.Out.WriteLine();
            io.Out.WriteLine("events:");
            foreach (var e in Output.Array(detail, "events"))
            {
                io.Out.WriteLine($"  {Output.Str(e, "at")}  {Output.Str(e, "type")}{(Output.Str(e, "reason") is { } r ? "/" + r : "")} by {ActorText(e)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"deploy bot (sid)" for a token with a description, else the actor's sid (a garden, <c>system</c>).</summary>
    private static string ActorText(JsonNode? e) =>
        Output.Str(e, "actor_description") is { Length: > 0 } description ? $"{description} ({Output.Str(e, "actor")})" : Output.Str(e, "actor") ?? "-";

    private static Command FollowCommand(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The deployment's sid (dply_…) or request id (req_…)" };
        var timeout = new Option<string?>("--timeout") { Description = "Give up after this long (default: until it finishes)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("follow", "Stream a deployment's progress and live log until it finishes") { sid, timeout, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, (result, cancellation) =>
        {
            var limit = result.GetValue(timeout) is { } t ? CommandRunner.ParseDuration(t, "--timeout") : (TimeSpan?)null;
            return Follow(io, connection.Resolve(result, io), result.GetValue(sid)!, stopAtApproval: false, result.GetValue(json), limit, cancellation);
        });
        return command;
    }

    private static Command Decide(CliIo io, string verb, string description)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The deployment's sid (dply_…)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command(verb, description) { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var d = await api.Post($"/deployments/{Uri.EscapeDataString(id)}/{verb}", new JsonObject(), "deployment:write", () => $"no deployment {id}");
            var summary = Output.Pick(d, "sid", "state", "result", "approved");
            if (result.GetValue(json)) Output.Json(io, summary);
            else io.Out.WriteLine($"deployment {Output.Str(summary, "sid")} {(verb == "approve" ? "approved" : "rejected")}: {Output.Str(summary, "state")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Retry(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The deployment to retry (dply_…)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("retry", "Retry a finished, stale or canceled deployment as a new linked deployment (policy checked now)") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var accepted = Output.Pick(await api.Post($"/deployments/{Uri.EscapeDataString(id)}/retry", new JsonObject(), "deployment:write", () => $"no deployment {id}"),
                AcceptedFields);
            if (result.GetValue(json)) Output.Json(io, accepted);
            else PrintAccepted(io, accepted);
            return ExitCodes.Ok;
        });
        return command;
    }
}
