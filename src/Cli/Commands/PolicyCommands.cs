using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using NodaTime.TimeZones;
using Sower.Messages.Domain;

namespace Sower.Cli.Commands;

/// <summary><c>sower policy ...</c>: evaluate a deployment policy exactly as server and garden do (REFERENCE §4).</summary>
public static class PolicyCommands
{
    private static readonly OffsetDateTimePattern[] OffsetPatterns =
    [
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss;FFFFFFFFFo<G>"),
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mmo<G>"),
    ];

    private static readonly LocalDateTimePattern[] LocalPatterns =
    [
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss;FFFFFFFFF"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm"),
    ];

    public static Command Create(CliIo io)
    {
        var policy = new Command("policy", "Deployment policies");
        policy.Subcommands.Add(Eval(io));
        policy.Subcommands.Add(PolicyCheckCommand.Create(io));
        return policy;
    }

    private static Command Eval(CliIo io)
    {
        var file = new Option<string>("--policy")
        {
            HelpName = "FILE",
            Description = "JSON file holding the policy: a map of rule name to rule, a list of rules, or null ('-' reads stdin)",
            Required = true,
        };
        var seedType = new Option<string>("--seed-type")
        {
            HelpName = "TYPE",
            Description = "nixos, home-manager, nix-darwin, service or gcroot",
            Required = true,
        };
        var at = new Option<string>("--at")
        {
            HelpName = "ISO-8601",
            Description = "The instant, ISO-8601 with Z or an offset (2026-11-29T04:30:00Z); without one it is a wall-clock " +
                          "time in --timezone (a time skipped by DST means the first instant after; a repeated one the first)",
            Required = true,
        };
        var timezone = new Option<string?>("--timezone")
        {
            HelpName = "IANA",
            Description = "The subscription's IANA time zone for windows without their own tz (default Etc/UTC)",
        };
        var trigger = new Option<string?>("--trigger")
        {
            HelpName = "TRIGGER",
            Description = "manual, scheduled, realtime, poll_on_connect or recall; without it decision and action are null",
        };
        var explain = new Option<bool>("--explain") { Description = "Also write a readable explanation to stderr" };

        var command = new Command("eval",
            "Evaluate a policy and print {\"decision\",\"action\",\"highest\",\"realtime\",\"matched_rules\",\"next_change\"}")
        {
            file, seedType, at, timezone, trigger, explain,
        };
        command.SetAction(result =>
        {
            // Every invalid input is reported at once, then nothing is evaluated.
            var errors = new List<string>();
            var type = Collect(errors, () => ParseSeedType(result.GetValue(seedType)!));
            var zone = Collect(errors, () => ParseZone(result.GetValue(timezone)));
            var instant = Collect(errors, () => ParseInstant(result.GetValue(at)!, zone));
            Trigger? parsedTrigger = result.GetValue(trigger) is { } t ? Collect(errors, () => (Trigger?)ParseTrigger(t)) : null;
            var parsedPolicy = Collect(errors, () => ReadPolicy(result.GetValue(file)!, io));
            if (errors.Count > 0)
            {
                foreach (var message in errors) io.Error($"error: {message}");
                return ExitCodes.InvalidInput;
            }

            if (!parsedPolicy!.IsDefault)
            {
                foreach (var warning in PolicyJson.Warnings(parsedPolicy, type)) io.Error($"warning: {warning}");
            }
            var explanation = PolicyExplainer.Explain(parsedPolicy, parsedTrigger, type, zone, instant);
            io.Out.WriteLine(CliJson.Write(ToJson(explanation)));
            if (result.GetValue(explain)) io.Err.Write(explanation.Text);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static JsonObject ToJson(PolicyExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var matched = new JsonArray();
        foreach (var name in explanation.MatchedRules) matched.Add(name);
        return new JsonObject
        {
            ["decision"] = explanation.Decision?.Kind.ToWire(),
            ["action"] = explanation.Decision?.Action?.ToWire(),
            ["highest"] = explanation.Highest?.ToWire(),
            ["realtime"] = explanation.Realtime,
            ["matched_rules"] = matched,
            ["next_change"] = explanation.NextChange is { } next ? InstantPattern.ExtendedIso.Format(next) : null,
        };
    }

    private static T? Collect<T>(List<string> errors, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (InvalidInputException e)
        {
            errors.AddRange(e.Messages);
            return default;
        }
    }

    private static SeedType ParseSeedType(string text) =>
        SeedTypes.TryParse(text, out var type)
            ? type
            : throw new InvalidInputException($"unknown seed type \"{text}\", expected one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");

    private static Trigger ParseTrigger(string text) =>
        Triggers.TryParse(text, out var trigger)
            ? trigger
            : throw new InvalidInputException($"unknown trigger \"{text}\", expected one of {string.Join(", ", Triggers.All.Select(t => t.ToWire()))}");

    private static DateTimeZone? ParseZone(string? id)
    {
        if (id is null) return null;
        return Zones.TryGet(id, out var zone)
            ? zone
            : throw new InvalidInputException($"{Zones.UnknownZone(id)} for --timezone, expected an IANA id such as Europe/Berlin");
    }

    private static Instant ParseInstant(string text, DateTimeZone? zone)
    {
        foreach (var pattern in OffsetPatterns)
        {
            if (pattern.Parse(text) is { Success: true } parsed) return parsed.Value.ToInstant();
        }
        foreach (var pattern in LocalPatterns)
        {
            if (pattern.Parse(text) is { Success: true } parsed)
            {
                return parsed.Value.InZone(zone ?? Zones.Utc, Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter)).ToInstant();
            }
        }
        throw new InvalidInputException($"invalid --at \"{text}\": expected an ISO-8601 date and time such as 2026-11-29T04:30:00Z or 2026-11-29T05:30:00+01:00");
    }

    private static Policy ReadPolicy(string path, CliIo io)
    {
        string text;
        var name = path == "-" ? "stdin" : $"\"{path}\"";
        try
        {
            text = path == "-" ? io.In.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new InvalidInputException($"cannot read policy file {name}: {reason}");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"policy file {name} is not valid JSON: {e.Message}");
        }
        var parsed = PolicyJson.Parse(node);
        if (!parsed.Ok) throw new InvalidInputException([$"invalid policy in {name}:", .. parsed.Problems.Select(p => p.ToString())]);
        return parsed.Value!;
    }
}
