using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Domain;

namespace Sower.Cli.Commands;

/// <summary>
/// <c>sower build TARGET</c>: the CI pipeline of REFERENCE §8, eval → build → push → seed, stopping after the last step
/// asked for (<c>--eval-only</c>; default eval and build; <c>--push</c>; <c>--seed</c> = push and register). Every
/// derivation found under the target is built; every built output whose derivation carries <c>meta.sower.seed</c> is
/// registered exactly as <c>sower seed submit</c> registers it (tags: CLI, then metadata, then repository). A failure of one
/// attribute does not stop the others unless <c>--fail-fast</c>; the run ends with one summary line and exit 1 if anything
/// failed.
/// </summary>
public static class BuildCommand
{
    public static Command Create(CliIo io)
    {
        var connection = new ConnectionOptions(configFileShortAlias: false);
        var target = new Argument<string>("TARGET")
        {
            Description = "A flake reference (.#sowerJobs.x86_64-linux; a bare flake directory means its sowerJobs.<this system>) or a .nix file",
        };
        var evalOnly = new Option<bool>("--eval-only") { Description = "Only evaluate: list the derivations and their seed metadata" };
        var push = new Option<bool>("--push", "-p") { Description = "Push the built outputs to every --cache" };
        var seed = new Option<bool>("--seed", "-s") { Description = "Push, then register every built output that carries meta.sower.seed" };
        var caches = new Option<string[]>("--cache", "-c")
        {
            Description = "A cache to push to (repeatable; merged with client.json's caches): nix copy URL, attic://SERVER:CACHE or niks3://HOST",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var evalJobs = new Option<int>("--eval-jobs") { Description = "Evaluator processes in parallel (default 4)", DefaultValueFactory = _ => 4 };
        var buildJobs = new Option<int>("--build-jobs", "-j") { Description = "Derivations built in parallel (default 4)", DefaultValueFactory = _ => 4 };
        var tags = SeedCliCommands.TagOption("A tag key=value for every registered seed (repeatable; split at the first '=')");
        tags.Aliases.Add("-t");
        var failFast = new Option<bool>("--fail-fast", "-f") { Description = "Stop at the first failure" };
        var attr = new Option<string?>("--attr", "-A") { Description = "Start the walk at this attribute path inside the target" };
        var evalType = new Option<string>("--eval-type")
        {
            Description = "How to evaluate TARGET: auto (default), flake or path",
            DefaultValueFactory = _ => "auto",
        };
        evalType.AcceptOnlyFromAmong("auto", "flake", "path");
        var useEvalCache = new Option<bool>("--use-eval-cache") { Description = "Let nix eval use its evaluation cache for flakes" };
        var nonAuthoritative = new Option<bool>("--non-authoritative") { Description = "Register without renaming seeds that already exist under another name" };
        var noGit = new Option<bool>("--no-git") { Description = "Do not add source-control tags from the target's checkout" };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("build", "Evaluate, build, push and register the seeds of a flake or .nix file (the CI step)")
        {
            target, evalOnly, push, seed, caches, evalJobs, buildJobs, tags, failFast, attr, evalType, useEvalCache, nonAuthoritative, noGit, json,
        };
        connection.AddTo(command);
        command.SetAsyncAction(io, async (result, cancellation) =>
        {
            var options = new BuildOptions
            {
                EvalOnly = result.GetValue(evalOnly),
                Push = result.GetValue(push) || result.GetValue(seed),
                Seed = result.GetValue(seed),
                EvalJobs = result.GetValue(evalJobs),
                BuildJobs = result.GetValue(buildJobs),
                Tags = (result.GetValue(tags) ?? []).Select(SeedCliCommands.ParseTag).ToList(),
                FailFast = result.GetValue(failFast),
                UseEvalCache = result.GetValue(useEvalCache),
                Rename = !result.GetValue(nonAuthoritative),
                Json = result.GetValue(json),
            };
            if (options.EvalJobs is < 1 or > 256) throw new CliFailure(ExitCodes.Usage, "--eval-jobs must be from 1 to 256");
            if (options.BuildJobs is < 1 or > 256) throw new CliFailure(ExitCodes.Usage, "--build-jobs must be from 1 to 256");
            if (options.EvalOnly && options.Push) throw new CliFailure(ExitCodes.Usage, "--eval-only cannot be combined with --push or --seed");
            if (options.Push)
            {
                var config = connection.ReadConfig(result, io);
                var configured = config["caches"] switch
                {
                    null => [],
                    JsonArray list when list.All(c => c is JsonValue v && v.TryGetValue<string>(out _)) => list.Select(c => (string)c!).ToList(),
                    _ => throw new CliFailure(ExitCodes.Usage, "caches in client.json must be a list of cache URLs"),
                };
                options.Caches = [.. (result.GetValue(caches) ?? []).Concat(configured).Distinct(StringComparer.Ordinal)];
                if (options.Caches.Count == 0)
                {
                    throw new CliFailure(ExitCodes.Usage, options.Seed
                        ? "--cache is required for --seed (seeds are pushed before they are registered)"
                        : "--cache is required for --push");
                }
                foreach (var cache in options.Caches)
                {
                    if (CachePusher.Check(cache) is { } problem) throw new CliFailure(ExitCodes.Usage, problem);
                }
            }
            else if ((result.GetValue(caches) ?? []).Length > 0)
            {
                throw new CliFailure(ExitCodes.Usage, "--cache needs --push or --seed");
            }
            var type = Enum.Parse<EvalType>(result.GetValue(evalType)!, ignoreCase: true);
            var resolved = BuildTarget.Resolve(result.GetValue(target)!, type, result.GetValue(attr), Environment.CurrentDirectory);

            ServerConnection? server = null;
            if (options.Seed)
            {
                // A bad token or endpoint must fail before a long build, not after it.
                server = connection.Resolve(result, io);
                using var api = new ApiClient(server);
                await api.Get("/auth/verify", "seed:write");
            }
            var repository = options.Seed && !result.GetValue(noGit) && resolved.LocalDirectory is { } dir
                ? RepositoryTags.Collect(dir, io.Error)
                : [];
            return await new BuildPipeline(io, options, resolved, server, repository).Run(cancellation);
        });
        return command;
    }
}

/// <summary>What <c>sower build</c> was asked to do.</summary>
public sealed class BuildOptions
{
    public bool EvalOnly { get; init; }
    public bool Push { get; init; }
    public bool Seed { get; init; }
    public int EvalJobs { get; init; } = 4;
    public int BuildJobs { get; init; } = 4;
    public IReadOnlyList<Tag> Tags { get; init; } = [];
    public bool FailFast { get; init; }
    public bool UseEvalCache { get; init; }
    public bool Rename { get; init; } = true;
    public bool Json { get; init; }
    public IReadOnlyList<string> Caches { get; set; } = [];
}

/// <summary>The steps of one <c>sower build</c> run, with its counters, progress line and report.</summary>
public sealed class BuildPipeline(CliIo io, BuildOptions options, BuildTarget target, ServerConnection? server, IReadOnlyList<Tag> repositoryTags)
{
    private static readonly TimeSpan BuildLimit = TimeSpan.FromHours(12);
    private readonly Progress _progress = new(io);
    private readonly object _lock = new();
    private readonly List<JobState> _jobs = [];
    private readonly List<JsonObject> _cacheResults = [];
    private int _evaluated;
    private int _built;
    private int _pushed;
    private int _registered;
    private int _toBuild;
    private int _cachesFailed;

    private sealed class JobState(NixJob job)
    {
        public NixJob Job { get; } = job;
        public bool Built { get; set; }
        public bool Pushed { get; set; }
        public string? SeedSid { get; set; }
        public string? FailedStep { get; set; } = job.Error is null ? null : "eval";
        public string? Error { get; set; } = job.Error;
        public List<Tag>? Tags { get; set; }
    }

    public async Task<int> Run(CancellationToken cancellation)
    {
        try
        {
            Show();
            var evaluator = new NixJobEvaluator(target, options.EvalJobs, options.UseEvalCache, Environment.CurrentDirectory)
            {
                Found = job =>
                {
                    lock (_lock)
                    {
                        if (job.Error is null) _evaluated++;
                        else Fail(job.Attr, "evaluation", job.Error);
                        Show();
                    }
                },
            };
            var jobs = await evaluator.Evaluate(cancellation);
            _jobs.AddRange(jobs.Select(j => new JobState(j)));
            if (options.EvalOnly)
            {
                if (!options.Json) foreach (var j in _jobs.Where(j => j.Error is null)) Line(EvalLine(j.Job));
                return Finish();
            }
            var stop = options.FailFast && _jobs.Any(j => j.Error is not null);
            if (!stop) stop = !await Build(cancellation);
            if (!stop && options.Push) stop = !await PushAll(cancellation);
            if (!stop && options.Seed) await Register(cancellation);
            return Finish();
        }
        finally
        {
            _progress.Clear();
        }
    }

    /// <summary>Builds every evaluated derivation once (several attributes may name the same one), --build-jobs at a time.</summary>
    private async Task<bool> Build(CancellationToken cancellation)
    {
        var byDrv = _jobs.Where(j => j.Error is null && j.Job.DrvPath is not null).GroupBy(j => j.Job.DrvPath!, StringComparer.Ordinal).ToList();
        _toBuild = byDrv.Count;
        lock (_lock) Show();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var slots = new SemaphoreSlim(options.BuildJobs);
        var failed = false;
        await Task.WhenAll(byDrv.Select(async group =>
        {
            try
            {
                await slots.WaitAsync(stopping.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                return; // fail-fast: not started
            }
            try
            {
                if (stopping.IsCancellationRequested) return;
                ProcessOutput? run;
                try
                {
                    run = await ProcessRunner.RunAsync("nix-store", ["--realise", group.Key], BuildLimit, stopping.Token);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    return; // fail-fast: another build failed
                }
                if (run is null) throw NixJobEvaluator.NixMissing("nix-store");
                lock (_lock)
                {
                    foreach (var j in group)
                    {
                        if (run.ExitCode == 0)
                        {
                            j.Built = true;
                            _built++;
                            if (!options.Json) Line($"built {j.Job.Attr} {j.Job.OutPath}");
                        }
                        else
                        {
                            j.FailedStep = "build";
                            j.Error = Tail(NixJobEvaluator.NixMessage(run.Stderr, run.ExitCode), 25);
                            Fail(j.Job.Attr, "build", j.Error);
                        }
                    }
                    if (run.ExitCode != 0)
                    {
                        failed = true;
                        if (options.FailFast) stopping.Cancel();
                    }
                    Show();
                }
            }
            finally
            {
                slots.Release();
            }
        }));
        return !(failed && options.FailFast);
    }

    /// <summary>Every output of every built derivation to each cache in turn. The step fails only if every cache failed.</summary>
    private async Task<bool> PushAll(CancellationToken cancellation)
    {
        var built = _jobs.Where(j => j.Built).ToList();
        var paths = built.SelectMany(j => j.Job.Outputs.Values).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0) return true;
        var anyOk = false;
        foreach (var cache in options.Caches)
        {
            var error = await CachePusher.Push(cache, paths, cancellation);
            lock (_lock)
            {
                _cacheResults.Add(new JsonObject { ["cache"] = cache, ["ok"] = error is null, ["error"] = error });
                if (error is null)
                {
                    anyOk = true;
                    if (!options.Json) Line($"pushed {paths.Count} path{(paths.Count == 1 ? "" : "s")} to {cache}");
                    foreach (var j in built.Where(j => !j.Pushed))
                    {
                        j.Pushed = true;
                        _pushed++;
                    }
                }
                else
                {
                    _cachesFailed++;
                    io.Error($"error: pushing to {cache} failed: {error}");
                }
                Show();
            }
            if (error is not null && options.FailFast) return false;
        }
        if (!anyOk)
        {
            foreach (var j in built)
            {
                j.FailedStep ??= "push";
                j.Error ??= "no cache accepted the outputs";
            }
        }
        return anyOk;
    }

    /// <summary>Registers every pushed output that carries meta.sower.seed, the way `sower seed submit` does.</summary>
    private async Task Register(CancellationToken cancellation)
    {
        var candidates = _jobs.Where(j => j.Pushed && j.Job.Seed is JsonObject).ToList();
        if (candidates.Count == 0) return;
        await using var hub = new CliHubClient(server!);
        await hub.Connect(cancellation);
        foreach (var j in candidates)
        {
            string? problem;
            JsonObject? request = null;
            var (name, type, metaTags, metaProblem) = ReadSeed(j.Job.Seed!);
            problem = metaProblem;
            if (problem is null && SeedMarkers.Check(j.Job.OutPath!, type) is { } markerProblem) problem = markerProblem;
            if (problem is null)
            {
                j.Tags = [.. RepositoryTags.Concatenate(options.Tags, metaTags, repositoryTags)];
                request = new JsonObject
                {
                    ["name"] = name,
                    ["seed_type"] = type.ToWire(),
                    ["artifact"] = j.Job.OutPath,
                    ["tags"] = new JsonArray([.. j.Tags.Select(t => (JsonNode?)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]),
                    ["promote"] = false,
                    ["rename"] = options.Rename,
                    ["wait"] = false,
                };
                problem = await Submit(hub, request, j, cancellation);
            }
            lock (_lock)
            {
                if (problem is not null)
                {
                    j.FailedStep = "seed";
                    j.Error = problem;
                    Fail(j.Job.Attr, "registration", problem);
                }
                else
                {
                    _registered++;
                    if (!options.Json) Line($"registered {j.Job.Attr} as {j.SeedSid} ({type.ToWire()} {name})");
                }
                Show();
            }
            if (problem is not null && options.FailFast) return;
        }
    }

    private static async Task<string?> Submit(CliHubClient hub, JsonObject request, JobState job, CancellationToken cancellation)
    {
        var argument = JsonDocument.Parse(request.ToJsonString()).RootElement.Clone();
        try
        {
            await foreach (var e in hub.Stream("SubmitSeed", "seed:write", [argument], cancellation))
            {
                switch (Output.Str(e, "kind"))
                {
                    case "submitted":
                        job.SeedSid = Output.Str(e["seed"], "sid");
                        return null;
                    case "error":
                        return Output.Str(e, "message") ?? "the server rejected the seed";
                }
            }
        }
        catch (CliFailure f)
        {
            return f.Message;
        }
        return "the server ended the submission without an answer";
    }

    /// <summary>meta.sower.seed = { name; seed_type; tags; }; tags an object of strings or lists of strings.</summary>
    public static (string Name, SeedType Type, IReadOnlyList<Tag> Tags, string? Problem) ReadSeed(JsonNode seed)
    {
        var name = Output.Str(seed, "name");
        var typeText = Output.Str(seed, "seed_type");
        if (string.IsNullOrEmpty(name)) return ("", default, [], "meta.sower.seed.name must be a non-empty string");
        if (!SeedTypes.TryParse(typeText, out var type))
        {
            return (name, default, [], $"meta.sower.seed.seed_type {JsonSerializer.Serialize(typeText)} is not a seed type ({string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))})");
        }
        var tags = new List<Tag>();
        switch (seed["tags"])
        {
            case null:
                break;
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (key.Length == 0) return (name, type, [], "meta.sower.seed.tags has an empty key");
                    switch (value)
                    {
                        case JsonValue v when v.TryGetValue<string>(out var s):
                            tags.Add(new Tag(key, s));
                            break;
                        case JsonArray list when list.All(x => x is JsonValue xv && xv.TryGetValue<string>(out _)):
                            tags.AddRange(list.Select(x => new Tag(key, (string)x!)));
                            break;
                        default:
                            return (name, type, [], $"meta.sower.seed.tags.{key} must be a string or a list of strings");
                    }
                }
                break;
            default:
                return (name, type, [], "meta.sower.seed.tags must be an attribute set of strings");
        }
        return (name, type, tags, null);
    }

    private int Finish()
    {
        _progress.Clear();
        var failed = _jobs.Count(j => j.Error is not null);
        if (options.Json)
        {
            Output.Json(io, new JsonObject
            {
                ["target"] = target.Display,
                ["evaluated"] = _evaluated,
                ["built"] = _built,
                ["pushed"] = _pushed,
                ["registered"] = _registered,
                ["failed"] = failed,
                ["caches"] = new JsonArray([.. _cacheResults]),
                ["jobs"] = new JsonArray([.. _jobs.Select(JobJson)]),
            });
        }
        else
        {
            var parts = new List<string> { $"{_evaluated} evaluated" };
            if (!options.EvalOnly) parts.Add($"{_built} built");
            if (options.Push) parts.Add($"{_pushed} pushed");
            if (options.Seed) parts.Add($"{_registered} registered");
            parts.Add($"{failed} failed");
            if (_cachesFailed > 0) parts.Add($"{_cachesFailed} of {options.Caches.Count} caches failed");
            io.Out.WriteLine($"sower build: {string.Join(", ", parts)}");
        }
        return failed > 0 || _cachesFailed > 0 ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private JsonObject JobJson(JobState j)
    {
        var outputs = new JsonObject();
        foreach (var (k, v) in j.Job.Outputs) outputs[k] = v;
        return new JsonObject
        {
            ["attr"] = j.Job.Attr,
            ["attr_path"] = new JsonArray([.. j.Job.AttrPath.Select(p => (JsonNode?)p)]),
            ["drv_path"] = j.Job.DrvPath,
            ["out_path"] = j.Job.OutPath,
            ["outputs"] = outputs,
            ["system"] = j.Job.System,
            ["seed"] = j.Job.Seed?.DeepClone(),
            ["built"] = j.Built,
            ["pushed"] = j.Pushed,
            ["seed_sid"] = j.SeedSid,
            ["tags"] = j.Tags is null ? null : new JsonArray([.. j.Tags.Select(t => (JsonNode?)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]),
            ["failed_step"] = j.FailedStep,
            ["error"] = j.Error,
        };
    }

    private static string EvalLine(NixJob job)
    {
        var seed = job.Seed is JsonObject s ? $"  seed {Output.Str(s, "seed_type")} {Output.Str(s, "name")}" : "";
        return $"{job.Attr}  {job.DrvPath}{seed}";
    }

    private void Fail(string attr, string step, string message) =>
        _progress.Line(io.Err, $"error: {attr}: {step} failed: {message.Replace("\n", "\n  ", StringComparison.Ordinal)}");

    private void Line(string text) => _progress.Line(io.Out, text);

    /// <summary>The progress line (a terminal only): evaluated / built / pushed / registered counts.</summary>
    private void Show()
    {
        var text = $"evaluated {_evaluated}";
        if (!options.EvalOnly) text += $" · built {_built}/{_toBuild}";
        if (options.Push) text += $" · pushed {_pushed}";
        if (options.Seed) text += $" · registered {_registered}";
        _progress.Update(text);
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return all.Length <= lines ? text : "…\n" + string.Join('\n', all[^lines..]);
    }
}
