using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>One derivation found by the walk, or one attribute whose evaluation failed (<see cref="Error"/> set).</summary>
public sealed record NixJob(
    IReadOnlyList<string> AttrPath,
    string? DrvPath,
    string? OutPath,
    IReadOnlyDictionary<string, string> Outputs,
    string? System,
    string? Name,
    JsonNode? Seed,
    string? Error)
{
    public string Attr => AttrPath.Count == 0 ? "(root)" : BuildTarget.FormatAttrPath(AttrPath);

    public static NixJob Failed(IReadOnlyList<string> path, string error) =>
        new(path, null, null, new Dictionary<string, string>(), null, null, null, error);
}

/// <summary>
/// The eval step of <c>sower build</c>: walks the target's attribute sets recursively for derivations and returns, for
/// each, its attribute path, <c>drvPath</c>, outputs, <c>system</c> and <c>meta.sower.seed</c>. Works with Debian's Nix
/// 2.8 and current Nix alike: files through <c>nix-instantiate --eval --strict --json</c>, flakes through
/// <c>nix eval --json INSTALLABLE --apply WALKER</c>.
/// <para>
/// The root's children are walked in parallel (<c>--eval-jobs</c> processes), each child's subtree in one process that
/// isolates <c>throw</c>/<c>assert</c> failures per attribute with <c>tryEval</c>. Nix errors tryEval cannot catch
/// (a missing attribute, a type error) fail the whole process; then that subtree is split into its children and walked
/// again, down to the failing attribute, whose error is reported with Nix's own message. Failed attributes are
/// evaluated once more on their own to get that message.
/// </para>
/// </summary>
public sealed class NixJobEvaluator(BuildTarget target, int jobs, bool useEvalCache, string workingDirectory)
{
    /// <summary>How deep the walk goes into nested attribute sets (a guard against self-referencing sets like pkgs).</summary>
    public const int MaxDepth = 12;

    private static readonly TimeSpan EvalLimit = TimeSpan.FromHours(1);
    private readonly SemaphoreSlim _slots = new(Math.Max(1, jobs));

    /// <summary>Called once per job as it is found (from several threads).</summary>
    public Action<NixJob>? Found { get; init; }

    /// <summary>All jobs and failures, in attribute order. Throws a CliFailure when the target itself cannot be evaluated.</summary>
    public async Task<IReadOnlyList<NixJob>> Evaluate(CancellationToken cancellation)
    {
        var root = await Run(ListExpression(target.AttrPath), cancellation);
        if (!root.Ok) throw new CliFailure(ExitCodes.Failure, $"cannot evaluate {target.Display}:\n{root.Error}");
        var kind = Output.Str(root.Json, "kind");
        List<NixJob> found;
        if (kind == "set")
        {
            var children = Output.Array(root.Json, "names").Select(n => (string)n!).ToList();
            var walks = children.Select(c => Walk([.. target.AttrPath, c], 1, cancellation));
            found = [.. (await Task.WhenAll(walks)).SelectMany(j => j)];
        }
        else if (kind == "drv")
        {
            found = [.. await Walk(target.AttrPath, 0, cancellation)];
        }
        else
        {
            throw new CliFailure(ExitCodes.Failure, $"{target.Display} evaluates to a value of type {Output.Str(root.Json, "type")}, not an attribute set or a derivation: nothing to build");
        }
        return [.. found.OrderBy(j => j.Attr, StringComparer.Ordinal)];
    }

    private async Task<IReadOnlyList<NixJob>> Walk(IReadOnlyList<string> path, int depth, CancellationToken cancellation)
    {
        var walked = await Run(WalkExpression(path, MaxDepth - depth), cancellation);
        if (walked.Ok)
        {
            var results = new List<NixJob>();
            foreach (var entry in walked.Json!.AsArray())
            {
                var attr = Output.Array(entry, "attr").Select(a => (string)a!).ToList();
                var job = Output.Bool(entry, "failed") ? await Explain(attr, cancellation) : Job(attr, entry!);
                Found?.Invoke(job);
                results.Add(job);
            }
            return results;
        }
        // Something tryEval cannot catch: find the failing attribute by walking the children separately.
        var listed = await Run(ListExpression(path), cancellation);
        if (!listed.Ok || Output.Str(listed.Json, "kind") == "drv" || depth >= MaxDepth)
        {
            var failed = NixJob.Failed(path, listed.Ok ? walked.Error! : listed.Error!);
            Found?.Invoke(failed);
            return [failed];
        }
        if (Output.Str(listed.Json, "kind") != "set") return [];
        var children = Output.Array(listed.Json, "names").Select(n => (string)n!).ToList();
        return [.. (await Task.WhenAll(children.Select(c => Walk([.. path, c], depth + 1, cancellation)))).SelectMany(j => j)];
    }

    /// <summary>A failure tryEval caught has no message: evaluate that attribute alone, without tryEval, to get Nix's.</summary>
    private async Task<NixJob> Explain(IReadOnlyList<string> path, CancellationToken cancellation)
    {
        var alone = await Run(JobExpression(path), cancellation);
        if (alone.Ok) return Job(path, alone.Json!); // succeeded on its own (it failed only in combination): use it
        return NixJob.Failed(path, alone.Error!);
    }

    private static NixJob Job(IReadOnlyList<string> path, JsonNode entry)
    {
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (entry["outputs"] is JsonObject o)
        {
            foreach (var (name, value) in o)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var p)) outputs[name] = p;
            }
        }
        return new NixJob(path, Output.Str(entry, "drv_path"), Output.Str(entry, "out_path"), outputs, Output.Str(entry, "system"),
            Output.Str(entry, "name"), entry["seed"]?.DeepClone(), null);
    }

    private sealed record EvalResult(bool Ok, JsonNode? Json, string? Error);

    private async Task<EvalResult> Run(string function, CancellationToken cancellation)
    {
        await _slots.WaitAsync(cancellation);
        try
        {
            List<string> args;
            string program;
            if (target.IsFlake)
            {
                program = "nix";
                args = ["--extra-experimental-features", "nix-command flakes", "eval", "--json", "--no-write-lock-file"];
                if (!useEvalCache) args.Add("--no-eval-cache");
                args.AddRange([target.Installable, "--apply", function]);
            }
            else
            {
                program = "nix-instantiate";
                var root = $"(let v = import (/. + {BuildTarget.NixString(target.Installable)}); in if builtins.isFunction v then v {{ }} else v)";
                // --read-write-mode: without it, --eval computes drvPath without writing the .drv the build step needs.
                args = ["--eval", "--strict", "--json", "--read-write-mode", "--expr", $"({function}) {root}"];
            }
            var run = await ProcessRunner.RunAsync(program, args, EvalLimit, cancellation, workingDirectory)
                      ?? throw NixMissing(program);
            if (run.ExitCode != 0) return new EvalResult(false, null, NixMessage(run.Stderr, run.ExitCode));
            try
            {
                return new EvalResult(true, JsonNode.Parse(run.Stdout), null);
            }
            catch (JsonException e)
            {
                return new EvalResult(false, null, $"{program} printed something that is not JSON ({e.Message})");
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    public static CliFailure NixMissing(string program) =>
        new(ExitCodes.Failure, $"{program} is not installed or not on PATH: sower build needs Nix (Debian: apt-get install nix-bin; elsewhere https://nixos.org/download)");

    /// <summary>
    /// Nix's error text without what only confuses: the --show-trace hint, warnings, a leading "error: ", and the source
    /// excerpts that point into sower's own walker expression («string») rather than into the user's files.
    /// </summary>
    public static string NixMessage(string stderr, int exitCode)
    {
        var lines = new List<string>();
        var skipping = false;
        foreach (var line in stderr.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var trimmed = line.Trim();
            if (skipping)
            {
                // The excerpt ends with the caret line ("|   ^").
                if (trimmed.StartsWith('|') && trimmed.TrimStart('|').Trim().StartsWith('^')) skipping = false;
                continue;
            }
            if (trimmed.StartsWith("at «string»", StringComparison.Ordinal))
            {
                skipping = true;
                continue;
            }
            if (line.Contains("--show-trace", StringComparison.Ordinal) || line.StartsWith("warning: ", StringComparison.Ordinal)) continue;
            lines.Add(line);
        }
        var text = string.Join('\n', lines).Trim();
        while (text.Contains("\n\n\n", StringComparison.Ordinal)) text = text.Replace("\n\n\n", "\n\n", StringComparison.Ordinal);
        if (text.StartsWith("error: ", StringComparison.Ordinal)) text = text["error: ".Length..];
        return text.Length > 0 ? text : $"nix exited with status {exitCode}";
    }

    private static string PathList(IReadOnlyList<string> path) => "[ " + string.Join(' ', path.Select(BuildTarget.NixString)) + " ]";

    // The Nix side of the walk. `root` is the target's value; `path` selects where to start.
    private const string Common = """
        let
          path = __PATH__;
          start = builtins.foldl' (v: n: v.${n}) root path;
          isDrv = v: builtins.isAttrs v && (v.type or null) == "derivation";
          seedOf = d: let s = (d.meta or { }).sower.seed or null; in
            if s == null then null else { name = s.name or null; seed_type = s.seed_type or null; tags = s.tags or { }; };
          jobOf = p: d: {
            attr = p;
            drv_path = d.drvPath;
            out_path = d.outPath; # not "outPath": builtins.toJSON would print a set with outPath as that string
            name = d.name or null;
            system = d.system or null;
            outputs = builtins.listToAttrs (map (o: { name = o; value = d.${o}.outPath; }) (d.outputs or [ "out" ]));
            seed = seedOf d;
          };
        in
        """;

    private static string ListExpression(IReadOnlyList<string> path) => "root: " + Common.Replace("__PATH__", PathList(path), StringComparison.Ordinal) + """
         if isDrv start then { kind = "drv"; }
         else if builtins.isAttrs start then { kind = "set"; names = builtins.attrNames start; }
         else { kind = "other"; type = builtins.typeOf start; }
        """;

    private static string JobExpression(IReadOnlyList<string> path) =>
        "root: " + Common.Replace("__PATH__", PathList(path), StringComparison.Ordinal) + " builtins.deepSeq (jobOf path start) (jobOf path start)";

    private static string WalkExpression(IReadOnlyList<string> path, int depthLeft) => "root: " + Common.Replace("__PATH__", PathList(path), StringComparison.Ordinal) + $$"""
         let
           kindOf = v:
             if isDrv v then "drv"
             else if builtins.isAttrs v && (v.recurseForDerivations or true) != false then "set"
             else "other";
           safe = p: x: let r = builtins.tryEval (builtins.deepSeq x x); in
             if r.success then [ r.value ] else [ { attr = p; failed = true; } ];
           walk = left: p: v:
             let k = builtins.tryEval (kindOf v); in
             if !k.success then [ { attr = p; failed = true; } ]
             else if k.value == "drv" then safe p (jobOf p v)
             else if k.value == "set" && left > 0 then builtins.concatMap (n: walk (left - 1) (p ++ [ n ]) v.${n}) (builtins.attrNames v)
             else [ ];
         in walk {{depthLeft}} path start
        """;
}
