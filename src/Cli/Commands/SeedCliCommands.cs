using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Domain;

namespace Sower.Cli.Commands;

/// <summary><c>sower seed ...</c>: submit (through the CLI hub, with a live rollout), query, promote; and on a managed
/// host download, upgrade and reboot (REFERENCE §8).</summary>
public static class SeedCliCommands
{
    public static readonly string[] SeedFields = ["sid", "name", "seed_type", "artifact", "tags", "recency", "created_at", "retired", "recalled", "recall_reason"];

    public static Command Create(CliIo io)
    {
        var seed = new Command("seed", "Seeds: prebuilt store paths with a name, a type and tags");
        seed.Subcommands.Add(Submit(io));
        seed.Subcommands.Add(List(io));
        seed.Subcommands.Add(Latest(io));
        seed.Subcommands.Add(Show(io));
        seed.Subcommands.Add(Promote(io));
        seed.Subcommands.Add(Retire(io));
        seed.Subcommands.Add(Recall(io));
        seed.Subcommands.Add(Unrecall(io));
        seed.Subcommands.Add(HostCommands.Download(io));
        seed.Subcommands.Add(HostCommands.Upgrade(io));
        seed.Subcommands.Add(HostCommands.Reboot(io));
        return seed;
    }

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON (stable snake_case fields) instead of text" };

    public static Option<string?> NameOption(bool required) => new("--name", "-n") { Description = "Seed name (by convention the host or user name)", Required = required };

    public static Option<string?> TypeOption(bool required) => new("--type", "-t")
    {
        Description = "Seed type: nixos, home-manager, nix-darwin, service or gcroot",
        Required = required,
    };

    public static Option<string[]> TagOption(string description) => new("--tag")
    {
        Description = description,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static SeedType ParseType(string? text) =>
        SeedTypes.TryParse(text, out var type)
            ? type
            : throw new CliFailure(ExitCodes.Usage, $"unknown seed type \"{text}\", expected one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");

    /// <summary>--tag key=value, split at the first '='; the key must not be empty, the value may be (REFERENCE §1.4).</summary>
    public static Tag ParseTag(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0) throw new CliFailure(ExitCodes.Usage, $"invalid --tag \"{text}\": expected key=value with a non-empty key");
        return new Tag(text[..eq], text[(eq + 1)..]);
    }

    private static Command Submit(CliIo io)
    {
        var connection = new ConnectionOptions();
        var pathArgument = new Argument<string?>("STORE_PATH") { Description = "The artifact: a realised /nix/store path", Arity = ArgumentArity.ZeroOrOne };
        var pathOption = new Option<string?>("--path", "-p") { Description = "The artifact (same as STORE_PATH)" };
        var name = NameOption(true);
        var type = TypeOption(true);
        var tags = TagOption("A tag key=value (repeatable; split at the first '=')");
        var noGit = new Option<bool>("--no-git") { Description = "Do not add source-control tags from the current directory" };
        var promote = new Option<bool>("--promote") { Description = "Make an existing seed the newest again and roll it out (deliberate rollback)" };
        var wait = new Option<bool>("--wait") { Description = "Stream the rollout: matched subscriptions, deployments, progress and results" };
        var timeout = new Option<string?>("--timeout") { Description = "With --wait: give up after this long (90, 30s, 10m, 2h; default 30m)" };
        var json = JsonOption();
        var command = new Command("submit", "Register a seed through the server's CLI gateway and optionally follow its rollout")
        {
            pathArgument, pathOption, name, type, tags, noGit, promote, wait, timeout, json,
        };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, cancellation) =>
        {
            var artifact = result.GetValue(pathArgument) ?? result.GetValue(pathOption);
            if (string.IsNullOrEmpty(artifact)) throw new CliFailure(ExitCodes.Usage, "give the store path as STORE_PATH or --path");
            if (result.GetValue(pathArgument) is not null && result.GetValue(pathOption) is not null)
            {
                throw new CliFailure(ExitCodes.Usage, "give the store path once, either as STORE_PATH or as --path");
            }
            var seedType = ParseType(result.GetValue(type));
            var seedName = result.GetValue(name)!;
            if (seedName.Length == 0) throw new CliFailure(ExitCodes.Usage, "--name must not be empty");
            var cliTags = (result.GetValue(tags) ?? []).Select(ParseTag).ToList();
            var timeoutValue = result.GetValue(timeout) is { } t ? CommandRunner.ParseDuration(t, "--timeout") : TimeSpan.FromMinutes(30);
            if (result.GetValue(timeout) is not null && !result.GetValue(wait)) throw new CliFailure(ExitCodes.Usage, "--timeout needs --wait");
            var artifactPath = artifact.TrimEnd('/') is { Length: > 0 } trimmed && trimmed != artifact && StorePath.IsValid(trimmed) ? trimmed : artifact;
            if (SeedMarkers.Check(artifactPath, seedType) is { } problem) throw new CliFailure(ExitCodes.Usage, problem);

            var repository = result.GetValue(noGit) ? [] : RepositoryTags.Collect(Environment.CurrentDirectory, io.Error);
            var allTags = RepositoryTags.Concatenate(cliTags, SeedMarkers.Metadata(artifactPath, seedType), repository);
            var server = connection.Resolve(result, io);
            var request = new JsonObject
            {
                ["name"] = seedName,
                ["seed_type"] = seedType.ToWire(),
                ["artifact"] = artifactPath,
                ["tags"] = new JsonArray([.. allTags.Select(tag => (JsonNode?)new JsonObject { ["key"] = tag.Key, ["value"] = tag.Value })]),
                ["promote"] = result.GetValue(promote),
                ["rename"] = true,
                ["wait"] = result.GetValue(wait),
            };
            return await SubmitThroughHub(io, server, request, result.GetValue(json), result.GetValue(wait) ? timeoutValue : null, cancellation);
        });
        return command;
    }

    /// <summary>Submits through /hubs/cli; prints the submitted seed, and with a wait limit the live rollout.</summary>
    public static async Task<int> SubmitThroughHub(CliIo io, ServerConnection server, JsonObject request, bool json, TimeSpan? wait, CancellationToken cancellation)
    {
        await using var hub = new CliHubClient(server);
        await hub.Connect(cancellation);
        var argument = System.Text.Json.JsonDocument.Parse(request.ToJsonString()).RootElement.Clone();
        var events = hub.Stream("SubmitSeed", "seed:write", [argument], cancellation);
        if (wait is not null) return await new RolloutPrinter(io, json).Consume(events, wait, cancellation, "the rollout");
        if (!json) return await new RolloutPrinter(io, json: false).Consume(events, null, cancellation, "the submission");
        await foreach (var e in events)
        {
            switch (Output.Str(e, "kind"))
            {
                case "submitted":
                    Output.Json(io, new JsonObject
                    {
                        ["created"] = Output.Bool(e, "created"),
                        ["promoted"] = Output.Bool(e, "promoted"),
                        ["fan_out"] = Output.Bool(e, "fan_out"),
                        ["seed"] = Output.Pick(e["seed"], SeedFields),
                    });
                    return ExitCodes.Ok;
                case "error":
                    throw new CliFailure(ExitCodes.Failure, Output.Str(e, "message") ?? "the server rejected the seed");
            }
        }
        throw new CliFailure(ExitCodes.Failure, "the server ended the submission without an answer");
    }

    private static Command List(CliIo io)
    {
        var connection = new ConnectionOptions();
        var name = NameOption(false);
        var type = TypeOption(false);
        var limit = new Option<int>("--limit") { Description = "At most this many seeds (1–200, default 50)", DefaultValueFactory = _ => 50 };
        var json = JsonOption();
        var command = new Command("list", "List seeds, newest first: all of them, or one name and type") { name, type, limit, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var n = result.GetValue(name);
            var t = result.GetValue(type);
            if ((n is null) != (t is null)) throw new CliFailure(ExitCodes.Usage, "--name and --type filter together: give both or neither");
            var max = result.GetValue(limit);
            if (max is < 1 or > 200) throw new CliFailure(ExitCodes.Usage, "--limit must be from 1 to 200");
            var query = $"/seeds?per_page={max}";
            if (n is not null) query += $"&name={Uri.EscapeDataString(n)}&seed_type={ParseType(t).ToWire()}";
            using var api = new ApiClient(connection.Resolve(result, io));
            JsonNode page;
            try
            {
                page = await api.Get(query, "seed:read", () => $"no seeds named {n} of type {t}");
            }
            catch (CliFailure f) when (f.ExitCode == ExitCodes.NotFound && n is not null)
            {
                page = new JsonObject { ["items"] = new JsonArray(), ["total"] = 0 };
            }
            var seeds = Output.Array(page, "items").Select(s => Output.Pick(s, SeedFields)).ToList();
            if (result.GetValue(json))
            {
                Output.Json(io, new JsonObject { ["seeds"] = new JsonArray([.. seeds]), ["total"] = Output.Int(page, "total") });
                return ExitCodes.Ok;
            }
            Output.Table(io, ["SID", "TYPE", "NAME", "RECENCY", "ARTIFACT"],
                seeds.Select(s => (IReadOnlyList<string>)[Output.Text(s["sid"]), Output.Text(s["seed_type"]), Output.Text(s["name"]), Output.Text(s["recency"]), Output.Text(s["artifact"])]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Latest(CliIo io)
    {
        var connection = new ConnectionOptions();
        var name = NameOption(true);
        var type = TypeOption(true);
        var tags = TagOption("A rule key=value the seed's tags must satisfy (repeatable)");
        var json = JsonOption();
        var command = new Command("latest", "The newest seed of a name and type whose tags satisfy every --tag rule") { name, type, tags, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var seedType = ParseType(result.GetValue(type));
            var rules = (result.GetValue(tags) ?? []).Select(ParseTag).ToList();
            var query = $"/seeds/latest?name={Uri.EscapeDataString(result.GetValue(name)!)}&seed_type={seedType.ToWire()}"
                        + string.Concat(rules.Select(r => "&tags[]=" + Uri.EscapeDataString($"{r.Key}={r.Value}")));
            using var api = new ApiClient(connection.Resolve(result, io));
            var seed = await api.Get(query, "seed:read",
                () => $"no {seedType.ToWire()} seed named {result.GetValue(name)}{(rules.Count > 0 ? " matches " + string.Join(", ", rules.Select(r => $"{r.Key}={r.Value}")) : "")}");
            PrintSeed(io, seed, result.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("SID") { Description = "The seed's sid (seed_…)" };
        var json = JsonOption();
        var command = new Command("show", "Show one seed") { sid, json };
        command.Aliases.Add("info");
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var seed = await api.Get($"/seeds/{Uri.EscapeDataString(id)}", "seed:read", () => $"no seed {id}");
            PrintSeed(io, seed, result.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Promote(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("SID") { Description = "The seed to make the newest again (seed_…)" };
        var wait = new Option<bool>("--wait") { Description = "Stream the rollout that follows" };
        var timeout = new Option<string?>("--timeout") { Description = "With --wait: give up after this long (default 30m)" };
        var json = JsonOption();
        var command = new Command("promote", "Make an earlier seed the newest again and roll it out (a deliberate rollback)") { sid, wait, timeout, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, cancellation) =>
        {
            var id = result.GetValue(sid)!;
            var server = connection.Resolve(result, io);
            JsonNode seed;
            using (var api = new ApiClient(server))
            {
                seed = await api.Get($"/seeds/{Uri.EscapeDataString(id)}", "seed:read", () => $"no seed {id}");
            }
            var request = new JsonObject
            {
                ["name"] = Output.Str(seed, "name"),
                ["seed_type"] = Output.Str(seed, "seed_type"),
                ["artifact"] = Output.Str(seed, "artifact"),
                ["tags"] = new JsonArray(),
                ["promote"] = true,
                ["rename"] = false,
                ["wait"] = result.GetValue(wait),
            };
            var timeoutValue = result.GetValue(timeout) is { } t ? CommandRunner.ParseDuration(t, "--timeout") : TimeSpan.FromMinutes(30);
            return await SubmitThroughHub(io, server, request, result.GetValue(json), result.GetValue(wait) ? timeoutValue : null, cancellation);
        });
        return command;
    }

    private static Command Recall(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("SID") { Description = "The bad seed (seed_…)" };
        var reason = new Option<string>("--reason") { Description = "Why the seed is bad (shown in the audit trail and in listings)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace it now, regardless of the subscriptions' policy windows" };
        var wait = new Option<bool>("--wait") { Description = "Stream the replacement deployments" };
        var timeout = new Option<string?>("--timeout") { Description = "With --wait: give up after this long (default 30m)" };
        var json = JsonOption();
        var command = new Command("recall",
            "Recall a bad seed: never deployed again, and every subscription running it gets the newest non-recalled seed (trigger recall)")
            { sid, reason, force, wait, timeout, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, cancellation) =>
        {
            var id = result.GetValue(sid)!;
            var server = connection.Resolve(result, io);
            if (!result.GetValue(wait))
            {
                using var api = new ApiClient(server);
                var body = new JsonObject { ["reason"] = result.GetValue(reason), ["force"] = result.GetValue(force) };
                var recalled = await api.Post($"/seeds/{Uri.EscapeDataString(id)}/recall", body, "seed:write", () => $"no seed {id}");
                if (result.GetValue(json)) Output.Json(io, Output.Pick(recalled, SeedFields));
                else io.Out.WriteLine($"seed {Output.Str(recalled, "sid")} recalled: subscriptions running it are moved to the newest non-recalled seed");
                return ExitCodes.Ok;
            }
            var timeoutValue = result.GetValue(timeout) is { } t ? CommandRunner.ParseDuration(t, "--timeout") : TimeSpan.FromMinutes(30);
            await using var hub = new CliHubClient(server);
            await hub.Connect(cancellation);
            var request = new JsonObject { ["seed_sid"] = id, ["reason"] = result.GetValue(reason), ["force"] = result.GetValue(force) };
            var argument = System.Text.Json.JsonDocument.Parse(request.ToJsonString()).RootElement.Clone();
            var events = hub.Stream("RecallSeed", "seed:write", [argument], cancellation);
            return await new RolloutPrinter(io, result.GetValue(json)).Consume(events, timeoutValue, cancellation, "the recall's replacements");
        });
        return command;
    }

    private static Command Unrecall(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("SID") { Description = "The recalled seed (seed_…)" };
        var json = JsonOption();
        var command = new Command("unrecall", "Undo a recall: the seed may be chosen again (nothing is deployed by this alone)") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var seed = await api.Post($"/seeds/{Uri.EscapeDataString(id)}/unrecall", new JsonObject(), "seed:write", () => $"no seed {id}");
            if (result.GetValue(json)) Output.Json(io, Output.Pick(seed, SeedFields));
            else io.Out.WriteLine($"seed {Output.Str(seed, "sid")} is no longer recalled");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Retire(CliIo io)
    {
        var connection = new ConnectionOptions();
        var sid = new Argument<string>("SID") { Description = "The seed to retire (seed_…)" };
        var json = JsonOption();
        var command = new Command("retire", "Retire a seed: kept for history, never chosen as latest, never rolled out in realtime") { sid, json };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var id = result.GetValue(sid)!;
            using var api = new ApiClient(connection.Resolve(result, io));
            var seed = await api.Post($"/seeds/{Uri.EscapeDataString(id)}/retire", new JsonObject(), "seed:write", () => $"no seed {id}");
            if (result.GetValue(json)) Output.Json(io, Output.Pick(seed, SeedFields));
            else io.Out.WriteLine($"seed {Output.Str(seed, "sid")} retired");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void PrintSeed(CliIo io, JsonNode seed, bool json)
    {
        if (json)
        {
            Output.Json(io, Output.Pick(seed, SeedFields));
            return;
        }
        Output.Fields(io,
        [
            ("sid", Output.Str(seed, "sid")),
            ("name", Output.Str(seed, "name")),
            ("type", Output.Str(seed, "seed_type")),
            ("artifact", Output.Str(seed, "artifact")),
            ("recency", Output.Str(seed, "recency")),
            ("created", Output.Str(seed, "created_at")),
            ("retired", Output.Bool(seed, "retired") ? "yes (never selected as latest, never rolled out)" : "no"),
            ("recalled", Output.Bool(seed, "recalled") ? $"yes: {Output.Str(seed, "recall_reason")} (never deployed again)" : "no"),
            ("tags", string.Join(", ", Output.Array(seed, "tags").Select(t => $"{Output.Str(t, "key")}={Output.Str(t, "value")}").Order(StringComparer.Ordinal))),
        ]);
    }
}
