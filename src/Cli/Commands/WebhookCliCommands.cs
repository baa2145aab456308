using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;

namespace Sower.Cli.Commands;

/// <summary><c>sower webhook add|list|remove|test|outbox</c>: notification webhooks (admin only). The secret is read
/// from a file (never from the command line, where other users could see it in the process list) and never shown.</summary>
public static class WebhookCliCommands
{
    public static readonly string[] Fields = ["sid", "url", "events", "format", "created_at"];
    public static readonly string[] EntryFields = ["webhook_sid", "idempotency_key", "event", "summary", "enqueued_at", "attempts", "next_attempt_at", "last_error", "gave_up_at"];

    public static Command Create(CliIo io)
    {
        var webhook = new Command("webhook", "Notification webhooks: who is told when deployments fail, wait for approval, gardens go stale, …");
        webhook.Subcommands.Add(Add(io));
        webhook.Subcommands.Add(List(io));
        webhook.Subcommands.Add(Remove(io));
        webhook.Subcommands.Add(Test(io));
        webhook.Subcommands.Add(Outbox(io));
        return webhook;
    }

    private static Command Add(CliIo io)
    {
        var connection = new ConnectionOptions();
        var url = new Argument<string>("URL") { Description = "Where to POST: an http:// or https:// URL" };
        var secretFile = new Option<string>("--secret-file")
        {
            Description = "File holding the shared secret (16+ characters; e.g. openssl rand -hex 32 > secret); signs every delivery",
            Required = true,
        };
        var events = new Option<string[]>("--event", "-e")
        {
            Description = "An event (repeatable): deployment.failed, deployment.rolled_back, deployment.awaiting_approval, rollout.halted, "
                          + "garden.stale, garden.failing, garden.drifted, reboot_lock.held_too_long",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var format = new Option<string>("--format") { Description = "json (documented payload, version 1) or slack ({\"text\"})", DefaultValueFactory = _ => "json" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("add", "Add a webhook (admin)") { url, secretFile, events, format, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var path = result.GetValue(secretFile)!;
            string secret;
            try
            {
                secret = (await File.ReadAllTextAsync(path)).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliFailure(ExitCodes.InvalidInput, $"cannot read the secret file {path}: {e.Message}");
            }
            var body = new JsonObject
            {
                ["url"] = result.GetValue(url),
                ["secret"] = secret,
                ["events"] = new JsonArray([.. (result.GetValue(events) ?? []).Select(e => (JsonNode?)e)]),
                ["format"] = result.GetValue(format),
            };
            using var api = new ApiClient(connection.Resolve(result, io));
            var created = Output.Pick(await api.Post("/webhooks", body, "admin"), Fields);
            if (result.GetValue(json)) Output.Json(io, created);
            else io.Out.WriteLine($"webhook {Output.Str(created, "sid")} added: {Output.Str(created, "url")} ({Events(created)})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command("list", "List the webhooks (admin; secrets are never shown)") { json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var listed = (await api.Get("/webhooks", "admin")).AsArray();
            var hooks = listed.Select(t => Output.Pick(t, Fields)).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["webhooks"] = new JsonArray([.. hooks]) });
                return ExitCodes.Ok;
            }
            // Where each one comes from: the server config file owns its webhooks (remove them there), the API the rest.
            string Source(JsonNode? h) => Output.Str(h, "source") == "config" ? $"config file ({Output.Str(h, "name")})" : "api";
            Output.Table(io, ["SID", "URL", "FORMAT", "EVENTS", "SOURCE"], hooks.Select((h, i) => (IReadOnlyList<string>)
                [Output.Text(h["sid"]), Output.Text(h["url"]), Output.Text(h["format"]), Events(h), Source(listed[i])]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The webhook's sid (whk_…)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("remove", "Remove a webhook and drop its pending deliveries (admin)") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            await api.Delete($"/webhooks/{Uri.EscapeDataString(id)}", "admin", () => $"no webhook {id}");
            if (result.GetValue(json)) Output.Json(io, new JsonObject { ["sid"] = id, ["removed"] = true });
            else io.Out.WriteLine($"webhook {id} removed");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The webhook's sid (whk_…)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("test", "Queue a webhook.test notification for this webhook; follow it with sower webhook outbox (admin)") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var queued = await api.Post($"/webhooks/{Uri.EscapeDataString(id)}/test", null, "admin", () => $"no webhook {id}");
            if (result.GetValue(json)) Output.Json(io, Output.Pick(queued, ["sid", "idempotency_key"]));
            else io.Out.WriteLine($"test notification queued for {id} (idempotency key {Output.Str(queued, "idempotency_key")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Outbox(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command("outbox", "Deliveries still pending (with their retries) and those given up (admin)") { json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var status = await api.Get("/webhooks/outbox", "admin");
            if (result.GetValue(json))
            {
                Output.Json(io, status);
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"pending: {Output.Text(status["pending"])}   dead: {Output.Text(status["dead"])}");
            var rows = Output.Array(status, "pending_entries").Select(e => (State: "pending", Entry: e))
                .Concat(Output.Array(status, "dead_entries").Select(e => (State: "dead", Entry: e)))
                .Select(r => (IReadOnlyList<string>)
                [
                    r.State, Output.Text(r.Entry?["webhook_sid"]), Output.Text(r.Entry?["idempotency_key"]), Output.Text(r.Entry?["attempts"]),
                    r.State == "dead" ? Output.Text(r.Entry?["gave_up_at"]) : Output.Text(r.Entry?["next_attempt_at"]), Output.Text(r.Entry?["last_error"]),
                ]).ToList();
            if (rows.Count > 0) Output.Table(io, ["STATE", "WEBHOOK", "KEY", "ATTEMPTS", "NEXT/GAVE UP", "LAST ERROR"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Events(JsonNode? webhook) => string.Join(",", Output.Array(webhook, "events").Select(e => e?.ToString()));
}
