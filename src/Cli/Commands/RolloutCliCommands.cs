using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Domain;

namespace Sower.Cli.Commands;

/// <summary><c>sower rollout …</c>: rollout plans with waves per seed line, and the state of the current rollout (issue 14.2).</summary>
public static class RolloutCliCommands
{
    public static Command Create(CliIo io)
    {
        var rollout = new Command("rollout", "Rollout plans per seed line (waves, soak time, success threshold) and the current rollout");
        var plan = new Command("plan", "The seed line's rollout plan: set, show, clear");
        plan.Subcommands.Add(Set(io));
        plan.Subcommands.Add(Simple(io, "show", "The plan and the current rollout with each wave's progress", HttpMethod.Get, "", "deployment:read"));
        plan.Subcommands.Add(Simple(io, "clear", "Remove the plan: realtime seeds go to every follower at once again", HttpMethod.Delete, "/plan", "admin"));
        rollout.Subcommands.Add(plan);
        rollout.Subcommands.Add(Simple(io, "show", "The plan and the current rollout with each wave's progress", HttpMethod.Get, "", "deployment:read"));
        rollout.Subcommands.Add(Simple(io, "resume", "Resume a halted rollout: the halted wave counts as passed, the next wave starts now", HttpMethod.Post, "/resume", "deployment:write"));
        rollout.Subcommands.Add(Simple(io, "abort", "Abort a running or halted rollout: later waves never get its seed", HttpMethod.Post, "/abort", "deployment:write"));
        return rollout;
    }

    private static (Argument<string> Name, Option<string> Type) LineArguments() =>
        (new Argument<string>("NAME") { Description = "The seed name of the line" },
         new Option<string>("--type", "-t") { Description = "The seed type (default nixos)", DefaultValueFactory = _ => "nixos" });

    private static string Path(string type, string name) => $"/rollouts/{Uri.EscapeDataString(type)}/{Uri.EscapeDataString(name)}";

    private static Command Set(CliIo io)
    {
        var connection = new ConnectionOptions();
        var (name, type) = LineArguments();
        var waves = new Option<string[]>("--wave", "-w")
        {
            Description = "A wave, in order: \"canary: role=canary\" (a selector), \"25%\" (a share of all gardens, stable by garden id) or \"rest\"",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            Required = true,
        };
        var soak = new Option<string>("--soak") { Description = "How long a wave runs after reaching the threshold before the next starts (30m, 2h, 1d, 0)", DefaultValueFactory = _ => "0" };
        var threshold = new Option<int>("--threshold") { Description = "Success threshold in percent of a wave's gardens (1-100, default 100)", DefaultValueFactory = _ => 100 };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("set", "Set the line's plan: a realtime seed goes to wave 1; each next wave starts after success and soak; failures halt")
        {
            name, type, waves, soak, threshold, json,
        };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var body = new JsonObject
            {
                ["waves"] = new JsonArray([.. (result.GetValue(waves) ?? []).Select(w => (JsonNode)w)]),
                ["soak"] = result.GetValue(soak),
                ["success_threshold"] = result.GetValue(threshold),
            };
            using var api = new ApiClient(connection.Resolve(result, io));
            var reply = await api.Put(Path(result.GetValue(type)!, result.GetValue(name)!) + "/plan", body, "admin");
            Print(io, reply, result.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Simple(CliIo io, string verb, string description, HttpMethod method, string suffix, string role)
    {
        var connection = new ConnectionOptions();
        var (name, type) = LineArguments();
        var json = SeedCliCommands.JsonOption();
        var command = new Command(verb, description) { name, type, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var path = Path(result.GetValue(type)!, result.GetValue(name)!) + suffix;
            var reply = method == HttpMethod.Get ? await api.Get(path, role)
                : method == HttpMethod.Delete ? await api.Delete(path, role)
                : await api.Post(path, new JsonObject(), role);
            Print(io, reply, result.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void Print(CliIo io, JsonNode? reply, bool json)
    {
        if (json)
        {
            Output.Json(io, Output.Pick(reply, "seed_type", "name", "plan", "rollout"));
            return;
        }
        var plan = reply?["plan"];
        io.Out.WriteLine(plan is null
            ? $"{Output.Str(reply, "seed_type")}:{Output.Str(reply, "name")}: no rollout plan (realtime seeds go to every follower at once)"
            : $"{Output.Str(reply, "seed_type")}:{Output.Str(reply, "name")}: waves {string.Join(" → ", Output.Array(plan, "waves").Select(Output.Text))}, "
              + $"soak {Output.Str(plan, "soak")}, success threshold {Output.Int(plan, "success_threshold")}%");
        if (reply?["rollout"] is not { } rollout) return;
        io.Out.WriteLine($"rollout of {Output.Str(rollout, "seed_sid")}: {Output.Str(rollout, "status")}"
                         + (Output.Str(rollout, "reason") is { } reason ? $" ({reason})" : ""));
        foreach (var wave in Output.Array(rollout, "waves")) io.Out.WriteLine("  " + WaveLine(wave));
    }

    /// <summary>"wave 1 (canary): 2/2 succeeded, soaking until …" — also what <c>seed submit --wait</c> prints.</summary>
    public static string WaveLine(JsonNode? wave)
    {
        var state = Output.Str(wave, "state");
        var line = $"wave {Output.Int(wave, "number")} ({Output.Str(wave, "name")}): {Output.Int(wave, "succeeded")}/{Output.Int(wave, "total")} succeeded";
        if (Output.Int(wave, "failed") > 0) line += $", {Output.Int(wave, "failed")} failed";
        return line + (state == "soaking" && Output.Str(wave, "soak_until") is { } until ? $", soaking until {until}" : $", {state}");
    }
}
