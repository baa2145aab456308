using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.GardenDaemon;

namespace Sower.Cli.Commands;

/// <summary>
/// <c>sower policy check [FILE]</c>: validates a garden configuration's subscriptions and policies offline with the
/// garden's own loader, printing every problem with its path. Exit 0 when valid, 1 with problems, 2 when the file
/// cannot be read or is not JSON. The default file follows the §5.1 rule. Connection settings (endpoint, token) are
/// not required here: they are the garden's business at start-up, not the policy's.
/// </summary>
public static class PolicyCheckCommand
{
    private static readonly string[] OnlineKeys = ["endpoint", "access_token"];

    public static Command Create(CliIo io)
    {
        var file = new Argument<string?>("FILE") { Description = "The garden's client.json (default: $SOWER_CONFIG_FILE, /etc/sower/client.json or ~/.config/sower/client.json)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print {\"file\",\"ok\",\"subscriptions\",\"problems\":[{\"path\",\"message\"}]}" };
        var command = new Command("check", "Validate a garden configuration's subscriptions and policies offline; every problem with its path") { file, json };
        command.SetAction(result =>
        {
            var path = ClientConfigLocator.Locate(result.GetValue(file), io.Env, ProcessIdentity.IsRoot, io.Env("HOME") ?? ProcessIdentity.Home, File.Exists);
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var reason = e switch
                {
                    FileNotFoundException or DirectoryNotFoundException => "no such file",
                    UnauthorizedAccessException => "permission denied",
                    _ => e.Message,
                };
                io.Error($"error: cannot read {path}: {reason}");
                return ExitCodes.InvalidInput;
            }
            try
            {
                if (JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }) is not JsonObject)
                {
                    io.Error($"error: {path} must hold a JSON object");
                    return ExitCodes.InvalidInput;
                }
            }
            catch (JsonException e)
            {
                io.Error($"error: {path} is not valid JSON: {e.Message}");
                return ExitCodes.InvalidInput;
            }

            // Without an endpoint the loader stops before listing subscriptions; lend it one only when none is configured.
            var hasEndpoint = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!["endpoint"] is not null
                              || !string.IsNullOrEmpty(io.Env("SOWER_ENDPOINT"));
            string? Variable(string name) => !hasEndpoint && name == "SOWER_ENDPOINT" ? "http://offline.invalid" : io.Env(name);
            var loaded = GardenConfigLoader.Load(path, ConfigEnvironment.FromProcess() with { Variable = Variable }, hasStoredCredential: true);
            var problems = loaded.Problems.Where(p => !OnlineKeys.Contains(p.Path)).ToList();
            var names = loaded.Config?.Subscriptions.Select(s => s.Name).ToList() ?? [];
            if (result.GetValue(json))
            {
                io.Out.WriteLine(CliJson.Write(new JsonObject
                {
                    ["file"] = path,
                    ["ok"] = problems.Count == 0,
                    ["subscriptions"] = new JsonArray([.. names.Select(n => (JsonNode?)n)]),
                    ["problems"] = new JsonArray([.. problems.Select(p => (JsonNode?)new JsonObject { ["path"] = p.Path, ["message"] = p.Message })]),
                }));
            }
            else if (problems.Count == 0)
            {
                io.Out.WriteLine($"{path}: ok ({(names.Count == 0 && loaded.Config is null ? "subscriptions valid" : $"{names.Count} subscription(s): {string.Join(", ", names)}")})");
            }
            else
            {
                foreach (var p in problems) io.Out.WriteLine($"{p.Path}: {p.Message}");
                io.Error($"error: {path} has {problems.Count} problem(s)");
            }
            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }
}
