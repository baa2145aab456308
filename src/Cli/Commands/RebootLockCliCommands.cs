using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;

namespace Sower.Cli.Commands;

/// <summary><c>sower reboot-lock list|release|groups</c>: who holds a reboot lease, which gardens are inhibited, the
/// per-selector reboot groups (issue 14.3/14.4).</summary>
public static class RebootLockCliCommands
{
    public static Command Create(CliIo io)
    {
        var command = new Command("reboot-lock", "Reboot leases per group, inhibited gardens, and the reboot groups");
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(Release(io));
        command.Subcommands.Add(Groups(io));
        return command;
    }

    private static Command List(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command("list", "Reboot leases (holder, group, deadline), the group rules and the inhibited gardens") { json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var report = await api.Get("/reboot-locks", "garden:read");
            if (result.GetValue(json)) { Output.Json(io, report); return ExitCodes.Ok; }
            Print(io, report);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void Print(CliIo io, JsonNode report)
    {
        var leases = Output.Array(report, "leases");
        if (leases.Count == 0) io.Out.WriteLine("no reboot leases held");
        else Output.Table(io, ["GARDEN", "GROUP", "DEPLOYMENT", "ACQUIRED", "EXPIRES", "STATE"], leases.Select(l => (IReadOnlyList<string>)
        [
            $"{Output.Str(l, "garden_name")} ({Output.Str(l, "garden_sid")})", Output.Text(l!["group"]), Output.Text(l["deployment_sid"]),
            Output.Text(l["acquired_at"]), Output.Text(l["expires_at"]), Output.Bool(l, "expired") ? "expired (held too long)" : "held",
        ]));
        io.Out.WriteLine();
        io.Out.WriteLine($"default group: at most {Output.Int(report, "default_max_concurrent_reboots")} at a time; leases expire after {Output.Int(report, "lease_ttl_seconds")}s");
        var rules = Output.Array(report, "rules");
        if (rules.Count > 0)
        {
            Output.Table(io, ["GROUP", "SELECTOR", "MAX"], rules.Select(r => (IReadOnlyList<string>)
                [Output.Text(r!["group"]), Output.Text(r["selector"]), Output.Text(r["max_concurrent_reboots"])]));
        }
        var inhibited = Output.Array(report, "inhibited");
        if (inhibited.Count > 0)
        {
            io.Out.WriteLine();
            Output.Table(io, ["INHIBITED GARDEN", "SINCE", "REASON"], inhibited.Select(i => (IReadOnlyList<string>)
                [$"{Output.Str(i, "garden_name")} ({Output.Str(i, "garden_sid")})", Output.Text(i!["since"]), Output.Text(i["reason"])]));
        }
    }

    private static Command Release(CliIo io)
    {
        var connection = new ConnectionOptions();
        var garden = new Argument<string>("GARDEN_SID") { Description = "The garden whose lease to free (grdn_…)" };
        var command = new Command("release", "Force-release a garden's reboot lease (admin): its group may reboot the next garden") { garden };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var sid = result.GetValue(garden)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            await api.Delete($"/reboot-locks/{Uri.EscapeDataString(sid)}", "admin", () => $"garden {sid} holds no reboot lease");
            io.Out.WriteLine($"released the reboot lease of {sid}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Groups(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var rules = new Argument<string[]>("GROUP:MAX:SELECTOR")
        {
            Description = "Reboot groups in order, the first whose selector matches a garden wins, e.g. web:2:role=web db:1:role=db; none clears them",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("groups", "Replace the reboot groups (admin); gardens no group matches share the default group") { rules, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var list = new JsonArray();
            foreach (var text in result.GetValue(rules) ?? [])
            {
                var parts = text.Split(':', 3);
                if (parts.Length != 3 || !int.TryParse(parts[1], out var max))
                    throw new CliFailure(ExitCodes.Usage, $"\"{text}\": expected GROUP:MAX:SELECTOR, e.g. web:2:role=web,zone=eu-1");
                list.Add(new JsonObject { ["group"] = parts[0], ["selector"] = parts[2], ["max_concurrent_reboots"] = max });
            }
            using var api = new ApiClient(connection.Resolve(result, io));
            var report = await api.Put("/reboot-locks/rules", new JsonObject { ["rules"] = list }, "admin");
            if (result.GetValue(json)) Output.Json(io, report);
            else Print(io, report);
            return ExitCodes.Ok;
        });
        return command;
    }
}
