using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Gardens;

namespace Sower.Cli.Commands;

/// <summary><c>sower garden label</c> and the <c>-l/--selector</c> option every fleet-wide command shares (issue 14.1).</summary>
public static class GardenLabelCommands
{
    public static Option<string?> SelectorOption() =>
        new("--selector", "-l") { Description = "Only gardens whose labels match, e.g. role=web,zone=eu-1 (also key!=value, key, !key)" };

    /// <summary>The query-string part for a selector, checked here first so a typo fails before any request.</summary>
    public static string SelectorQuery(string? selector)
    {
        if (selector is null) return "";
        var parsed = LabelSelector.Parse(selector, "--selector");
        if (!parsed.Ok) throw new InvalidInputException([.. parsed.Problems.Select(p => p.ToString())]);
        return "&label_selector=" + Uri.EscapeDataString(parsed.Value!.ToString());
    }

    public static Command Label(CliIo io)
    {
        var connection = new ConnectionOptions();
        var target = new Argument<string>("GARDEN") { Description = "The garden's name or sid (grdn_…)" };
        var changes = new Argument<string[]>("CHANGES") { Description = "key=value sets a server-side label, key- removes one", Arity = ArgumentArity.OneOrMore };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("label",
            "Set or remove server-side labels of a garden (admin): they win over the labels of the garden's config file") { target, changes, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var set = new JsonObject();
            var remove = new JsonArray();
            var problems = new List<string>();
            foreach (var change in result.GetValue(changes) ?? [])
            {
                var eq = change.IndexOf('=');
                if (eq > 0) set[change[..eq]] = change[(eq + 1)..];
                else if (change.EndsWith('-') && change.Length > 1) remove.Add(change[..^1]);
                else problems.Add($"{change}: expected key=value (set) or key- (remove)");
            }
            if (problems.Count > 0) throw new InvalidInputException(problems);
            using var api = new ApiClient(connection.Resolve(result, io));
            var sid = await GardenCliCommands.ResolveGarden(api, result.GetValue(target)!);
            var reply = await api.Post($"/gardens/{sid}/labels", new JsonObject { ["set"] = set, ["remove"] = remove }, "admin",
                () => $"no garden {result.GetValue(target)}");
            if (result.GetValue(json))
            {
                Output.Json(io, Output.Pick(reply, "sid", "name", "labels", "own_labels", "admin_labels"));
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"{Output.Str(reply, "name")}: {Format(reply?["labels"])}");
            io.Out.WriteLine($"  own (config file): {Format(reply?["own_labels"])}");
            io.Out.WriteLine($"  server-side:       {Format(reply?["admin_labels"])}");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Format(JsonNode? labels) =>
        labels is JsonObject o && o.Count > 0 ? string.Join(",", o.Select(kv => $"{kv.Key}={Output.Text(kv.Value)}")) : "-";
}
