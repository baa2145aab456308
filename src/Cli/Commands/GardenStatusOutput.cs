using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;

namespace Sower.Cli.Commands;

/// <summary>
/// <c>sower garden status</c>'s output: everything the admin socket reports (version, connection, active deployments, and
/// every subscription with its next scheduled fire and next policy-window change). Fields an older garden does not send
/// are left out rather than printed as unknown.
/// </summary>
public static class GardenStatusOutput
{
    public static void Write(CliIo io, JsonObject status, bool json)
    {
        var active = Output.Array(status, "active_deployments").Select(a => a?.ToString() ?? "").ToList();
        if (json)
        {
            var copy = new JsonObject
            {
                ["version"] = Output.Str(status, "version"),
                ["active_deployments"] = new JsonArray([.. active.Select(a => (JsonNode?)a)]),
            };
            foreach (var key in new[] { "connected", "garden_sid", "status", "subscriptions" })
            {
                if (status.ContainsKey(key)) copy[key] = status[key]?.DeepClone();
            }
            Output.Json(io, copy);
            return;
        }
        io.Out.WriteLine($"version: {Output.Str(status, "version")}");
        io.Out.WriteLine($"active deployments: {(active.Count == 0 ? "none" : string.Join(", ", active))}");
        if (status["connected"] is JsonValue connected && connected.TryGetValue<bool>(out var isConnected))
        {
            var sid = Output.Str(status, "garden_sid");
            var line = Output.Str(status, "status");
            io.Out.WriteLine($"connection: {(isConnected ? "connected" : "not connected")}{(sid is null ? "" : $" as {sid}")}{(string.IsNullOrEmpty(line) ? "" : $" ({line})")}");
        }
        if (status["subscriptions"] is JsonArray subscriptions)
        {
            io.Out.WriteLine();
            io.Out.WriteLine("subscriptions:");
            if (subscriptions.Count == 0)
            {
                io.Out.WriteLine("(none)");
                return;
            }
            Output.Table(io, ["NAME", "SEED", "SCHEDULE", "NEXT FIRE", "NEXT WINDOW CHANGE", "CURRENT", "PENDING"], subscriptions.Select(s => (IReadOnlyList<string>)
            [
                Output.Text(s?["name"]), $"{Output.Str(s, "seed_type")}/{Output.Str(s, "seed_name")}",
                Schedule(s), Output.Text(s?["next_fire"]), Output.Text(s?["next_window_change"]),
                Output.Text(s?["current_seed"]), Output.Text(s?["pending_seed"]),
            ]));
        }
    }

    private static string Schedule(JsonNode? subscription)
    {
        var schedule = Output.Str(subscription, "schedule");
        if (schedule is null) return "-";
        var zone = Output.Str(subscription, "timezone");
        return zone is null ? schedule : $"{schedule} ({zone})";
    }
}
