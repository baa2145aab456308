using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Cli.Commands;

/// <summary>
/// <c>sower garden ...</c>: the fleet as the server sees it (list, show), and the local garden over its admin socket
/// (status, deploy, reload; REFERENCE §5.15).
/// </summary>
public static class GardenCliCommands
{
    /// <summary>A garden offline for longer than this is marked stale in listings.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(24);

    public static readonly string[] ListFields = ["sid", "name", "online", "version", "last_seen", "created_at", "stale", "failing", "latest_deployment", "reboot_pending", "drifted"];
    public static readonly string[] LatestFields = ["sid", "state", "result", "trigger", "created_at", "deployed_at"];

    public static Command Create(CliIo io)
    {
        var garden = new Command("garden", "Gardens: the fleet on the server (list, show) and this host's garden (status, deploy, reload)");
        garden.Subcommands.Add(List(io));
        garden.Subcommands.Add(Show(io));
        garden.Subcommands.Add(Status(io));
        garden.Subcommands.Add(Deploy(io));
        garden.Subcommands.Add(Reload(io));
        garden.Subcommands.Add(Enrollments(io));
        garden.Subcommands.Add(Deleted(io));
        garden.Subcommands.Add(Restore(io));
        garden.Subcommands.Add(GardenLabelCommands.Label(io));
        return garden;
    }

    // ── enrollment approval and tombstones (admin) ──

    private static Command Enrollments(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command("enrollments",
            "Re-enrollments of known hosts waiting for an admin (list; approve or reject ENROLLMENT). Approval re-binds the garden and revokes its current credential")
            { json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var page = await api.Get("/gardens/enrollments?per_page=200", "admin");
            var items = Output.Array(page, "items")
                .Select(e => Output.Pick(e, "sid", "garden_sid", "garden_name", "name", "version", "requested_by", "requested_at", "expires_at", "status")).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["enrollments"] = new JsonArray([.. items]), ["total"] = Output.Int(page, "total") });
                return ExitCodes.Ok;
            }
            Output.Table(io, ["ENROLLMENT", "GARDEN", "CURRENT NAME", "REQUESTED NAME", "REQUESTED BY", "REQUESTED AT", "EXPIRES AT"], items.Select(e =>
                (IReadOnlyList<string>)[Output.Text(e["sid"]), Output.Text(e["garden_sid"]), Output.Text(e["garden_name"]), Output.Text(e["name"]),
                    Output.Text(e["requested_by"]), Output.Text(e["requested_at"]), Output.Text(e["expires_at"])]));
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(Decide(io, "approve", "Approve a re-enrollment: the garden is re-bound to the requester and its current credential revoked"));
        command.Subcommands.Add(Decide(io, "reject", "Reject a re-enrollment: the garden keeps its current credential"));
        return command;
    }

    private static Command Decide(CliIo io, string verb, string description)
    {
        var connection = new ConnectionOptions();
        var id = new Argument<string>("ENROLLMENT") { Description = "The enrollment's sid (enr_…), as the garden's log and `sower garden enrollments` show it" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command(verb, description) { id, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var sid = result.GetValue(id)!;
            var reply = await api.Post($"/gardens/enrollments/{Uri.EscapeDataString(sid)}/{verb}", new JsonObject(), "admin", () => $"no waiting enrollment {sid}");
            var decided = Output.Pick(reply, "sid", "garden_sid", "status");
            if (result.GetValue(json)) Output.Json(io, decided);
            else io.Out.WriteLine($"enrollment {Output.Str(decided, "sid")} of garden {Output.Str(decided, "garden_sid")}: {Output.Str(decided, "status")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Deleted(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command("deleted", "Deleted gardens: their hosts are refused until `sower garden restore SID`") { json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var page = await api.Get("/gardens/deleted?per_page=200", "admin");
            var items = Output.Array(page, "items").Select(g => Output.Pick(g, "sid", "name", "deleted_by", "deleted_at")).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["gardens"] = new JsonArray([.. items]), ["total"] = Output.Int(page, "total") });
                return ExitCodes.Ok;
            }
            Output.Table(io, ["NAME", "SID", "DELETED BY", "DELETED AT"], items.Select(g =>
                (IReadOnlyList<string>)[Output.Text(g["name"]), Output.Text(g["sid"]), Output.Text(g["deleted_by"]), Output.Text(g["deleted_at"])]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Restore(CliIo io)
    {
        var connection = new ConnectionOptions();
        var target = new Argument<string>("GARDEN") { Description = "The deleted garden's sid (grdn_…), as `sower garden deleted` and the garden's log show it" };
        var command = new Command("restore", "Let a deleted garden enroll again (its host was refused since the deletion)") { target };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var sid = result.GetValue(target)!;
            await api.Post($"/gardens/{Uri.EscapeDataString(sid)}/restore", new JsonObject(), "admin", () => $"no deleted garden {sid}");
            io.Out.WriteLine($"garden {sid} restored: its host may enroll again");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static JsonObject ListItem(JsonNode? g, DateTimeOffset now)
    {
        var item = Output.Pick(g, "sid", "name", "online", "version", "last_seen", "created_at");
        var online = Output.Bool(g, "online");
        var lastSeen = Output.Str(g, "last_seen") is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null;
        var latest = g?["latest_deployment"];
        item["stale"] = !online && (lastSeen is null || now - lastSeen > StaleAfter);
        item["failing"] = Output.Str(latest, "result") is "failure" or "partial" or "rolled_back" || Output.Str(latest, "state") == "stale";
        item["latest_deployment"] = latest is null ? null : Output.Pick(latest, LatestFields);
        item["reboot_pending"] = g?["reboot_pending"] is JsonObject;
        item["drifted"] = g?["drift"] is JsonObject;
        item["inhibited"] = Inhibited(g);
        item["inhibition"] = Inhibition(g);
        return item;
    }

    /// <summary>Whether the garden reported an inhibition (issue 14.4); null when the server could not tell.</summary>
    private static JsonNode? Inhibited(JsonNode? g) => g?["inhibited"] is JsonValue v && v.TryGetValue<bool>(out var b) ? JsonValue.Create(b) : null;

    private static JsonObject? Inhibition(JsonNode? g) => g?["inhibition"] is JsonObject i ? Output.Pick(i, "reason", "since") : null;

    private static Command List(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var selector = GardenLabelCommands.SelectorOption();
        var command = new Command("list", "List gardens: online, version, last report, stale and failing markers") { json, selector };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var page = await api.Get("/gardens?per_page=200" + GardenLabelCommands.SelectorQuery(result.GetValue(selector)), "garden:read");
            var now = DateTimeOffset.UtcNow;
            var items = Output.Array(page, "items").Select(g => ListItem(g, now)).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["gardens"] = new JsonArray([.. items]), ["total"] = Output.Int(page, "total") });
                return ExitCodes.Ok;
            }
            Output.Table(io, ["NAME", "SID", "ONLINE", "VERSION", "LAST SEEN", "LATEST", "MARKERS"], items.Select(g =>
            {
                var markers = new List<string>();
                if (Output.Bool(g, "stale")) markers.Add("stale");
                if (Output.Bool(g, "failing")) markers.Add("failing");
                if (Output.Bool(g, "reboot_pending")) markers.Add("reboot-pending");
                if (Output.Bool(g, "drifted")) markers.Add("drifted");
                if (Output.Bool(g, "inhibited")) markers.Add("inhibited");
                var latest = g["latest_deployment"];
                return (IReadOnlyList<string>)[Output.Text(g["name"]), Output.Text(g["sid"]), Output.Bool(g, "online") ? "online" : "offline",
                    Output.Text(g["version"]), Output.Text(g["last_seen"]),
                    latest is null ? "-" : $"{Output.Str(latest, "result") ?? Output.Str(latest, "state")} {Output.Str(latest, "sid")}",
                    markers.Count == 0 ? "-" : string.Join(",", markers)];
            }), (column, value) => column is 2 or 6 ? Output.StatusColour(value.Split(',')[0]) : null);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CliIo io)
    {
        var connection = new ConnectionOptions();
        var target = new Argument<string>("GARDEN") { Description = "The garden's name or sid (grdn_…)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("show", "One garden: presence, version, subscriptions with policies, generations, latest deployment") { target, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var sid = await ResolveGarden(api, result.GetValue(target)!);
            var g = await api.Get($"/gardens/{sid}", "garden:read", () => $"no garden {result.GetValue(target)}");
            var detail = Output.Pick(g, "sid", "name", "online", "online_at", "version", "last_seen", "created_at");
            detail["subscriptions"] = new JsonArray([.. Output.Array(g, "subscriptions").Select(s =>
                (JsonNode)Output.Pick(s, "sid", "name", "seed_name", "seed_type", "rules", "schedule", "timezone", "policy", "updated_at"))]);
            detail["generations"] = new JsonArray([.. Output.Array(g, "generations").Select(x =>
                (JsonNode)Output.Pick(x, "profile_path", "seed_sid", "artifact", "generation_number", "is_current", "created"))]);
            detail["latest_deployment"] = g["latest_deployment"] is { } latest ? Output.Pick(latest, LatestFields) : null;
            detail["reboot_pending"] = g["reboot_pending"] is JsonObject pending ? Output.Pick(pending, "system", "reason", "since") : null;
            detail["drift"] = g["drift"] is JsonObject drift ? Output.Pick(drift, "expected", "running", "detail", "since") : null;
            detail["inhibited"] = Inhibited(g);
            detail["inhibition"] = Inhibition(g);
            if (result.GetValue(json))
            {
                Output.Json(io, detail);
                return ExitCodes.Ok;
            }
            Output.Fields(io,
            [
                ("name", Output.Str(detail, "name")), ("sid", Output.Str(detail, "sid")),
                ("online", Output.Style(io, Output.Bool(detail, "online") ? "online" : "offline", Output.Bool(detail, "online") ? "32" : "31")),
                ("version", Output.Str(detail, "version")), ("last seen", Output.Str(detail, "last_seen")),
                ("latest", detail["latest_deployment"] is { } l ? $"{Output.Str(l, "sid")} {Output.Str(l, "state")} {Output.Str(l, "result")}" : null),
                ("reboot", detail["reboot_pending"] is { } r
                    ? Output.Style(io, $"pending ({Output.Str(r, "reason")}): {Output.Str(r, "system")} is installed for the next boot since {Output.Str(r, "since")}", "33")
                    : null),
                ("drift", detail["drift"] is { } d
                    ? Output.Style(io, $"drifted: {Output.Str(d, "detail")}; runs {Output.Str(d, "running") ?? "nothing"}, Sower deployed {Output.Str(d, "expected")} (since {Output.Str(d, "since")})", "31")
                    : null),
                ("inhibited", detail["inhibition"] is { } inh
                    ? Output.Style(io, $"yes, since {Output.Str(inh, "since")}: {Output.Str(inh, "reason")} (activations and restarts wait)", "33")
                    : detail["inhibited"] is null ? "unknown (the reboot lock table did not answer)" : "no"),
            ]);
            io.Out.WriteLine();
            io.Out.WriteLine("subscriptions:");
            Output.Table(io, ["NAME", "SID", "SEED", "RULES", "SCHEDULE", "POLICY"], Output.Array(detail, "subscriptions").Select(s => (IReadOnlyList<string>)
            [
                Output.Text(s!["name"]), Output.Text(s["sid"]), $"{Output.Str(s, "seed_type")}/{Output.Str(s, "seed_name")}",
                string.Join(" ", Output.Array(s, "rules").Select(r => $"{Output.Str(r, "key")}={Output.Str(r, "value")}")),
                Output.Text(s["schedule"]), string.Join(", ", (s["policy"] as JsonObject)?.Select(p => p.Key) ?? []),
            ]));
            io.Out.WriteLine();
            io.Out.WriteLine("generations:");
            Output.Table(io, ["PROFILE", "#", "CURRENT", "SEED", "ARTIFACT"], Output.Array(detail, "generations").Select(x => (IReadOnlyList<string>)
            [
                Output.Text(x!["profile_path"]), Output.Text(x["generation_number"]), Output.Bool(x, "is_current") ? "yes" : "", Output.Text(x["seed_sid"]),
                Output.Text(x["artifact"]),
            ]));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A garden sid as given, or the sid of the garden with exactly this name.</summary>
    public static async Task<string> ResolveGarden(ApiClient api, string nameOrSid)
    {
        if (Sid.IsValid(nameOrSid, GardenId.Prefix)) return nameOrSid;
        var page = await api.Get("/gardens?per_page=200", "garden:read");
        var matches = Output.Array(page, "items").Where(g => Output.Str(g, "name") == nameOrSid).ToList();
        return matches.Count switch
        {
            1 => Output.Str(matches[0], "sid")!,
            0 => throw new CliFailure(ExitCodes.NotFound, $"no garden named {nameOrSid}"),
            _ => throw new CliFailure(ExitCodes.Failure, $"several gardens are named {nameOrSid}; use the sid"),
        };
    }

    // ── local garden over the admin socket ──

    private static Option<string?> SocketOption() => new("--socket")
    {
        Description = "The garden's admin socket (env SOWER_ADMIN_SOCKET, config admin_socket; default $XDG_RUNTIME_DIR/sower-garden/admin.sock or /run/sower-garden/admin.sock)",
    };

    private static Option<string[]> ConfigOption() => new("--config-file", "-c")
    {
        Description = "client.json to read admin_socket from (default by the usual rule)",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static async Task<int> Admin(CliIo io, ParseResult result, Option<string?> socket, ConnectionOptions connection, string kind, JsonObject? payload,
        CancellationToken cancellation, bool json)
    {
        var path = connection.ResolveAdminSocket(result, socket, io);
        var (replies, code) = await AdminSocketClient.Send(path, kind, payload, cancellation);
        var errors = new List<string>();
        foreach (var reply in replies)
        {
            switch (reply.Kind)
            {
                case "ok" when reply.Line["status"] is JsonObject status:
                    GardenStatusOutput.Write(io, status, json);
                    break;
                case "ok":
                    if (json) Output.Json(io, new JsonObject { ["ok"] = true, ["message"] = Output.Str(reply.Line, "data") });
                    else io.Out.WriteLine(Output.Str(reply.Line, "data"));
                    break;
                case "error":
                    var data = Output.Str(reply.Line, "data") ?? "the garden reported an error";
                    errors.Add(data);
                    io.Error($"error: {data}");
                    break;
            }
        }
        if (code == 0) return ExitCodes.Ok;
        // The garden's exit code is 0 or 1; well-known refusals get the CLI's specific codes.
        if (errors.Any(e => e == AdminProtocol.PolicyDenied)) return ExitCodes.DeniedByPolicy;
        if (errors.Any(e => e.StartsWith(AdminProtocol.SubscriptionNotFound, StringComparison.Ordinal))) return ExitCodes.NotFound;
        if (errors.Any(e => e == AdminProtocol.NotConnected)) return ExitCodes.Unreachable;
        return code;
    }

    private static ConnectionOptions AdminConnection(Command command, out Option<string?> socket)
    {
        var connection = new ConnectionOptions();
        socket = SocketOption();
        command.Options.Add(socket);
        command.Options.Add(connection.ConfigFiles);
        return connection;
    }

    private static Command Status(CliIo io)
    {
        var json = SeedCliCommands.JsonOption();
        var command = new Command("status", "This host's garden: version, connection, active deployments and every subscription with its next fire and window change (admin socket)") { json };
        var connection = AdminConnection(command, out var socket);
        command.SetAsyncAction(io, (result, cancellation) => Admin(io, result, socket, connection, "status", null, cancellation, result.GetValue(json)));
        return command;
    }

    private static Command Deploy(CliIo io)
    {
        var type = new Option<string?>("--type", "-t") { Description = "Deploy the single subscription of this seed type" };
        var sid = new Option<string?>("--sid") { Description = "Deploy this subscription (sub_…)" };
        var force = new Option<bool>("--force") { Description = "Deploy even if the same seeds were deployed already" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("deploy", "Ask this host's garden to deploy its latest seed now (trigger manual; admin socket)") { type, sid, force, json };
        var connection = AdminConnection(command, out var socket);
        command.SetAsyncAction(io, (result, cancellation) =>
        {
            var t = result.GetValue(type);
            var s = result.GetValue(sid);
            if ((t is null) == (s is null)) throw new CliFailure(ExitCodes.Usage, "give exactly one of --type or --sid");
            var payload = new JsonObject
            {
                ["seed_type"] = t is null ? null : SeedCliCommands.ParseType(t).ToWire(),
                ["sid"] = s,
                ["force"] = result.GetValue(force),
            };
            return Admin(io, result, socket, connection, "deploy", payload, cancellation, result.GetValue(json));
        });
        return command;
    }

    private static Command Reload(CliIo io)
    {
        var json = SeedCliCommands.JsonOption();
        var command = new Command("reload", "Ask this host's garden to reload its configuration (like SIGHUP; admin socket)") { json };
        var connection = AdminConnection(command, out var socket);
        command.SetAsyncAction(io, (result, cancellation) => Admin(io, result, socket, connection, "reload", null, cancellation, result.GetValue(json)));
        return command;
    }
}
