using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Gardens;

namespace Sower.Cli.Commands;

/// <summary>
/// <c>sower deploy -l SELECTOR [SUBSCRIPTION] [--type T]</c>: a manual deploy to every garden matching a label selector
/// (<c>POST /api/v1/deployments/by-selector</c>), one line per garden saying what it got. Exit 0 when every chosen
/// subscription got a deployment (or an approval request), 4 when all were denied by policy, 3 when no garden matched
/// or none had such a subscription, 1 otherwise.
/// </summary>
public static class SelectorDeployCommand
{
    public static readonly string[] Fields = ["label_selector", "gardens", "requested", "awaiting_approval", "denied_by_policy", "refused", "skipped", "results"];

    public static readonly string[] ResultFields =
        ["garden_sid", "garden_name", "subscription_sid", "subscription_name", "outcome", "request_id", "deployment_sid", "awaiting_approval", "error"];

    public static async Task<int> Run(CliIo io, ServerConnection server, string selectorText, string? subscription, string? seedType, string? seedSid,
        bool wait, TimeSpan timeout, bool json, CancellationToken cancellation)
    {
        // Checked here first, so a typo fails before any request.
        var parsed = LabelSelector.Parse(selectorText, "--selector");
        if (!parsed.Ok) throw new InvalidInputException([.. parsed.Problems.Select(p => p.ToString())]);
        var body = new JsonObject { ["label_selector"] = parsed.Value!.ToString() };
        if (subscription is not null) body["subscription"] = subscription;
        if (seedType is not null) body["seed_type"] = seedType;
        if (seedSid is not null) body["seed_sid"] = seedSid;
        JsonNode reply;
        using (var api = new ApiClient(server))
        {
            reply = await api.Post("/deployments/by-selector", body, "deployment:write");
        }
        var summary = Output.Pick(reply, Fields);
        var results = Output.Array(reply, "results").Select(r => Output.Pick(r, ResultFields)).ToList();
        summary["results"] = new JsonArray([.. results]);
        if (json) Output.Json(io, summary);
        else Print(io, summary, results);

        var code = ExitCode(summary);
        if (!wait || code != ExitCodes.Ok) return code;
        // Every deployment runs at once on the server; following them one after the other only orders the output.
        var deadline = DateTimeOffset.UtcNow + timeout;
        var worst = ExitCodes.Ok;
        foreach (var r in results.Where(r => Output.Str(r, "outcome") == "requested"))
        {
            var left = deadline - DateTimeOffset.UtcNow;
            var follow = Output.Str(r, "deployment_sid") ?? Output.Str(r, "request_id")!;
            var exit = await DeploymentCliCommands.Follow(io, server, follow, stopAtApproval: true, json, left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1), cancellation);
            if (exit != ExitCodes.Ok && worst == ExitCodes.Ok) worst = exit;
        }
        return worst;
    }

    private static int ExitCode(JsonObject summary)
    {
        int N(string field) => Output.Int(summary, field);
        var chosen = N("requested") + N("denied_by_policy") + N("refused");
        if (chosen == 0) return ExitCodes.NotFound;
        if (N("requested") == chosen) return ExitCodes.Ok;
        if (N("denied_by_policy") == chosen) return ExitCodes.DeniedByPolicy;
        return ExitCodes.Failure;
    }

    private static void Print(CliIo io, JsonObject summary, IReadOnlyList<JsonObject> results)
    {
        io.Out.WriteLine($"deploy to {Output.Str(summary, "label_selector")}: {Output.Int(summary, "gardens")} gardens matched");
        foreach (var r in results)
        {
            var where = Output.Str(r, "subscription_name") is { } sub ? $"{Output.Str(r, "garden_name")}/{sub}" : Output.Str(r, "garden_name");
            var sid = Output.Str(r, "deployment_sid");
            var what = Output.Str(r, "outcome") switch
            {
                "requested" => sid is null ? $"deployment requested ({Output.Str(r, "request_id")})" : $"deployment {sid} created",
                "awaiting_approval" => $"approval requested: deployment {sid} awaits approval (sower deployment approve {sid})",
                "denied_by_policy" => $"{Output.Style(io, "denied by policy", "31")} — {Output.Str(r, "error")}",
                "skipped" => $"skipped — {Output.Str(r, "error")}",
                _ => $"{Output.Style(io, "refused", "31")} — {Output.Str(r, "error")}",
            };
            io.Out.WriteLine($"  {where}: {what}");
        }
        var parts = new List<string> { $"{Output.Int(summary, "requested")} deployments requested" };
        if (Output.Int(summary, "awaiting_approval") > 0) parts[0] += $" ({Output.Int(summary, "awaiting_approval")} awaiting approval)";
        parts.Add($"{Output.Int(summary, "denied_by_policy")} denied by policy");
        parts.Add($"{Output.Int(summary, "refused")} refused");
        parts.Add($"{Output.Int(summary, "skipped")} skipped");
        io.Out.WriteLine(string.Join(", ", parts));
    }
}
