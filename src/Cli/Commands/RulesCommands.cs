using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Cli.Commands;

/// <summary><c>sower rules ...</c>: check subscription rules exactly as a garden and the server read them (REFERENCE §3).</summary>
public static class RulesCommands
{
    public static Command Create(CliIo io)
    {
        var rules = new Command("rules", "Subscription rules (tag conditions)");
        rules.Subcommands.Add(Parse(io));
        return rules;
    }

    private static Command Parse(CliIo io)
    {
        var ruleArgs = new Argument<string[]>("RULE")
        {
            Description = "A rule in string form key=value (split at the first '='), or in map form as a JSON object " +
                          "{\"key\":...,\"op\":\"eq\",\"value\":...}. Put '--' first if a rule starts with '-'.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("parse",
            "Parse rules and print {\"rules\":[{\"key\",\"op\",\"value\"}...]} (exit 0), or {\"error\":\"<message>\"} (exit 1). " +
            "With several rules the message names the first bad one: \"Rule N: ...\".")
        {
            ruleArgs,
        };
        command.SetAction(result =>
        {
            var texts = result.GetValue(ruleArgs) ?? [];
            var parsed = new List<Rule>(texts.Length);
            for (var i = 0; i < texts.Length; i++)
            {
                if (!TryParseArgument(texts[i], out var rule, out var error))
                {
                    var message = texts.Length == 1 ? error! : $"Rule {i + 1}: {error}";
                    io.Out.WriteLine(CliJson.Write(new JsonObject { ["error"] = message }));
                    return ExitCodes.Failure;
                }
                parsed.Add(rule!);
            }
            io.Out.WriteLine(CliJson.Write(new JsonObject { ["rules"] = Rules.ToJson(parsed) }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool TryParseArgument(string text, out Rule? rule, out string? error)
    {
        if (text.StartsWith('{'))
        {
            JsonNode? node = null;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON after all: it is a string-form rule whose key starts with '{'.
            }
            if (node is JsonObject) return Rules.TryParseMap(node, out rule, out error);
        }
        return Rules.TryParse(text, out rule, out error);
    }
}
