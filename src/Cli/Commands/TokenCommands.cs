using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;

namespace Sower.Cli.Commands;

/// <summary><c>sower token create|list|revoke</c>: access tokens (REFERENCE §6.15). A new token is printed once.</summary>
public static class TokenCommands
{
    public const string ShownOnceWarning = "Store this token now: it cannot be shown again.";
    public static readonly string[] CreatedFields = ["sid", "token", "description", "roles", "expires_on"];
    public static readonly string[] ListFields = ["sid", "description", "roles", "expires_on", "created_at", "token_hint", "garden_sid"];

    public static Command Create(CliIo io)
    {
        var token = new Command("token", "Access tokens for the API and the CLI");
        token.Subcommands.Add(CreateToken(io));
        token.Subcommands.Add(List(io));
        token.Subcommands.Add(Revoke(io));
        return token;
    }

    private static Command CreateToken(CliIo io)
    {
        var connection = new ConnectionOptions();
        var description = new Option<string>("--description", "-d") { Description = "What the token is for", Required = true };
        var roles = new Option<string[]>("--role")
        {
            Description = "A role (repeatable): seed:read, seed:write, nix-cache:read, garden:register, garden:read, deployment:read, deployment:write, metrics:read, admin",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var expires = new Option<string?>("--expires") { Description = "Last valid day, YYYY-MM-DD (UTC; default tomorrow)" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("create", "Create a token; it is printed once and cannot be shown again") { description, roles, expires, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var body = new JsonObject
            {
                ["description"] = result.GetValue(description),
                ["roles"] = new JsonArray([.. (result.GetValue(roles) ?? []).Select(r => (JsonNode?)r)]),
            };
            if (result.GetValue(expires) is { } e) body["expires_on"] = e;
            using var api = new ApiClient(connection.Resolve(result, io));
            var created = Output.Pick(await api.Post("/tokens", body, "admin"), CreatedFields);
            if (result.GetValue(json))
            {
                created["warning"] = ShownOnceWarning;
                Output.Json(io, created);
            }
            else
            {
                io.Out.WriteLine(Output.Str(created, "token"));
                io.Error($"created token {Output.Str(created, "sid")} ({string.Join(", ", Output.Array(created, "roles").Select(r => r?.ToString()))}; expires {Output.Str(created, "expires_on")})");
            }
            io.Error($"warning: {ShownOnceWarning}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliIo io)
    {
        var connection = new ConnectionOptions();
        var json = SeedCliCommands.JsonOption();
        var command = new Command("list", "List your tokens (an admin sees every token)") { json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            using var api = new ApiClient(connection.Resolve(result, io));
            var tokens = (await api.Get("/tokens", "admin")).AsArray().Select(t => Output.Pick(t, ListFields)).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["tokens"] = new JsonArray([.. tokens]) });
                return ExitCodes.Ok;
            }
            Output.Table(io, ["SID", "DESCRIPTION", "ROLES", "EXPIRES", "TOKEN"], tokens.Select(t => (IReadOnlyList<string>)
            [
                Output.Text(t["sid"]), Output.Text(t["description"]), string.Join(",", Output.Array(t, "roles").Select(r => r?.ToString())),
                Output.Text(t["expires_on"]), Output.Str(t, "token_hint") ?? $"sower_{Output.Str(t, "sid")}_…",
            ]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("ID") { Description = "The token's sid" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("revoke", "Revoke a token; it stops working at once") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            await api.Delete($"/tokens/{Uri.EscapeDataString(id)}", "admin", () => $"no token {id}");
            if (result.GetValue(json)) Output.Json(io, new JsonObject { ["sid"] = id, ["revoked"] = true });
            else io.Out.WriteLine($"token {id} revoked");
            return ExitCodes.Ok;
        });
        return command;
    }
}
