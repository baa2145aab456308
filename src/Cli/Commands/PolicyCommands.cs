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

    private const string UsageHint = "Run 'sower policy eval --help' for usage.";

    public static Command Create(CliIo io)
    {
        var policy = new Command("policy", "Deployment policies");
        policy.Subcommands.Add(Eval(io));
        policy.Subcommands.Add(PolicyCheckCommand.Create(io));
        return policy;
    }

    private static Command Eval(CliIo io)
    {
        var file = new Option<string?>("--policy")
        {
            HelpName = "FILE",
            Description = "JSON file holding the policy: a map of rule name to rule, a list of rules, or null ('-' reads stdin)",
        };
        var config = new Option<string?>("--config")
        {
            HelpName = "FILE",
            Description = "A garden configuration (client.json): evaluate the policy of --subscription, with its seed type and time zone",
        };
        var subscription = new Option<string?>("--subscription")
        {
            HelpName = "NAME",
            Description = "The subscription of --config whose policy is evaluated (may be left out when there is only one)",
        };
        var seedType = new Option<string?>("--seed-type")
        {
            HelpName = "TYPE",
            Description = "nixos, home-manager, nix-darwin, service or gcroot (required with --policy; with --config the subscription's)",
        };
        var at = new Option<string>("--at")
        {
            HelpName = "ISO-8601",
            Description = "The instant, ISO-8601 with Z or an offset (2026-11-29T04:30:00Z); without one it is a wall-clock " +
                          "time in --timezone (a time skipped by DST means the first instant after; a repeated one the first); default now",
        };
        var timezone = new Option<string?>("--timezone")
        {
            HelpName = "IANA",
            Description = "The subscription's IANA time zone for windows without their own tz (default Etc/UTC, or the subscription's with --config)",
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
            file, config, subscription, seedType, at, timezone, trigger, explain,
        };
        command.SetAction(result =>
        {
            var policyFile = result.GetValue(file);
            var configFile = result.GetValue(config);
            if ((policyFile is null) == (configFile is null))
            {
                io.Error("error: policy eval needs either --policy FILE (a policy: a map of rule name to rule) with --seed-type, " +
                         "or --config client.json --subscription NAME (a garden configuration)");
                io.Err.WriteLine(UsageHint);
                return ExitCodes.InvalidInput;
            }
            // Every invalid input is reported at once, then nothing is evaluated.
            var errors = new List<string>();
            var fromConfig = configFile is null ? null : Collect(errors, () => PolicyFromGardenConfig.Read(configFile, result.GetValue(subscription)));
            if (configFile is not null && fromConfig is null)
            {
                foreach (var message in errors) io.Error($"error: {message}");
                return ExitCodes.InvalidInput;
            }
            if (policyFile is not null && result.GetValue(subscription) is not null)
            {
                errors.Add("--subscription names a subscription of --config; with --policy give --seed-type instead");
            }
            var typeText = result.GetValue(seedType) ?? fromConfig?.SeedType;
            if (typeText is null) errors.Add("--seed-type is required with --policy (nixos, home-manager, nix-darwin, service or gcroot)");
            var type = typeText is null ? default : Collect(errors, () => ParseSeedType(typeText));
            var zone = Collect(errors, () => ParseZone(result.GetValue(timezone) ?? fromConfig?.Timezone));
            var atText = result.GetValue(at);
            var instant = atText is null ? SystemClock.Instance.GetCurrentInstant() : Collect(errors, () => ParseInstant(atText, zone));
            Trigger? parsedTrigger = result.GetValue(trigger) is { } t ? Collect(errors, () => (Trigger?)ParseTrigger(t)) : null;
            var parsedPolicy = fromConfig is not null
                ? Collect(errors, () => ParsePolicy(fromConfig.Policy, fromConfig.Name))
                : Collect(errors, () => ReadPolicy(policyFile!, io));
            if (errors.Count > 0)
            {
                foreach (var message in errors) io.Error($"error: {message}");
                if (typeText is null) io.Err.WriteLine(UsageHint);
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
        if (node is JsonObject o && o.ContainsKey("subscriptions"))
        {
            // A garden configuration handed to --policy: say what to do instead of listing every key as a bad rule.
            throw new InvalidInputException($"{name} is a garden configuration, not a policy: use --config {(path == "-" ? "FILE" : path)} --subscription NAME");
        }
        return ParsePolicy(node, name);
    }

    private static Policy ParsePolicy(JsonNode? node, string name)
    {
        var parsed = PolicyJson.Parse(node);
        if (!parsed.Ok) throw new InvalidInputException([$"invalid policy in {name}:", .. parsed.Problems.Select(p => p.ToString())]);
        return parsed.Value!;
    }
}
