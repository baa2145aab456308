using System.Text.Json.Nodes;
using Sower.Cli.Commands;
using Sower.Cli.Infrastructure;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>
/// `sower build` on the real Nix of this machine (Debian's 2.8 here): fixture flakes and .nix files without inputs whose
/// derivations have /bin/sh as builder, built offline (no substituters, no sandbox), pushed to a signed file:// cache and
/// registered on the real in-process server.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BuildCommandTests(TestServer server)
{
    /// <summary>Offline: no substituter to wait on, no sandbox (the builders call /bin tools).</summary>
    private const string NixConfig = "substituters =\nsandbox = false\n";

    private static readonly string System = BuildTarget.CurrentSystem;

    private readonly string _nonce = Guid.NewGuid().ToString("N")[..8];

    private Dictionary<string, string?> Env(string? token = null) => new(Sow.Env(server, token)) { ["NIX_CONFIG"] = NixConfig };

    private static Dictionary<string, string?> OfflineEnv() => new() { ["NIX_CONFIG"] = NixConfig };

    /// <summary>
    /// The fixture: seeds of three types by hand-written meta.sower.seed (the seed library has its own tests), a plain
    /// derivation (built, never registered), nested sets, values that are not derivations, and a set that opts out of
    /// the walk. <paramref name="extra"/> adds attributes (failures).
    /// </summary>
    private string Jobs(string extra = "") => $$"""
        let
          mk = name: script: derivation {
            inherit name;
            system = "{{System}}";
            builder = "/bin/sh";
            nonce = "{{_nonce}}";
            args = [ "-c" script ];
          };
          seed = name: type: tags: drv: drv // { meta.sower.seed = { inherit name tags; seed_type = type; }; };
        in {
          tools = seed "tools-{{_nonce}}" "gcroot" { channel = "stable"; multi = [ "a" "b" ]; } (mk "tools" "echo tools > $out");
          hosts.web = seed "web-{{_nonce}}" "nixos" { role = "web"; } (mk "nixos-system-web" "/bin/mkdir $out && echo 24.11 > $out/nixos-version");
          plain = mk "plain" "echo plain > $out";
          nested.deeper.values = { f = x: x; n = 3; s = "text"; };
          skipped = { recurseForDerivations = false; never = mk "never" "exit 1"; };
          {{extra}}
        }
        """;

    private string FlakeDir(string jobs)
    {
        var dir = Directory.CreateTempSubdirectory("sower-build-flake-").FullName;
        File.WriteAllText(Path.Combine(dir, "flake.nix"), $"{{ outputs = _: {{ sowerJobs.\"{System}\" = {jobs}; }}; }}\n");
        return dir;
    }

    private static string NixFile(string text)
    {
        var dir = Directory.CreateTempSubdirectory("sower-build-file-").FullName;
        var file = Path.Combine(dir, "jobs.nix");
        File.WriteAllText(file, text);
        return file;
    }

    private sealed record Cache(string Dir, string SecretKey, string PublicKey)
    {
        public string Url => $"file://{Dir}?secret-key={SecretKey}";

        public string? NarInfo(string storePath)
        {
            var file = Path.Combine(Dir, Path.GetFileName(storePath)[..32] + ".narinfo");
            return File.Exists(file) ? File.ReadAllText(file) : null;
        }
    }

    private static Cache NewCache()
    {
        var dir = Directory.CreateTempSubdirectory("sower-build-cache-").FullName;
        var name = $"sower-build-test-{Guid.NewGuid():N}"[..30] + "-1";
        var keys = ProcessRunner.Run("nix-store", ["--generate-binary-cache-key", name, Path.Combine(dir, "sk"), Path.Combine(dir, "pk")]);
        Assert.True(keys is { ExitCode: 0 }, keys?.Stderr);
        return new Cache(Path.Combine(dir, "cache"), Path.Combine(dir, "sk"), File.ReadAllText(Path.Combine(dir, "pk")).Trim());
    }

    private static JsonObject Report(CliResult result) => SowerProcess.JsonLine(result);

    private static JsonObject Job(JsonObject report, string attr) =>
        Assert.IsType<JsonObject>(report["jobs"]!.AsArray().SingleOrDefault(j => (string?)j!["attr"] == attr), exactMatch: false);

    private static List<string> Tags(JsonNode seed) =>
        [.. seed["tags"]!.AsArray().Select(t => $"{(string)t!["key"]!}={(string)t["value"]!}")];

    [Fact]
    public void Eval_only_finds_every_derivation_in_nested_sets_with_its_seed_metadata_and_builds_nothing()
    {
        var file = NixFile(Jobs());
        var result = SowerProcess.Run(OfflineEnv(), null, "build", "--eval-only", file, "--json");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        var report = Report(result);
        Assert.Equal(["hosts.web", "plain", "tools"], report["jobs"]!.AsArray().Select(j => (string)j!["attr"]!));
        Assert.Equal(3, (int)report["evaluated"]!);
        Assert.Equal(0, (int)report["built"]!);
        var tools = Job(report, "tools");
        Assert.EndsWith("-tools.drv", (string)tools["drv_path"]!);
        Assert.EndsWith("-tools", (string)tools["out_path"]!);
        Assert.Equal((string)tools["out_path"]!, (string)tools["outputs"]!["out"]!);
        Assert.Equal(System, (string)tools["system"]!);
        Assert.Equal("gcroot", (string)tools["seed"]!["seed_type"]!);
        Assert.Equal(["a", "b"], tools["seed"]!["tags"]!["multi"]!.AsArray().Select(v => (string)v!));
        Assert.Null(Job(report, "plain")["seed"]);
        // Evaluated (the .drv exists) but not built.
        Assert.True(File.Exists((string)tools["drv_path"]!));
        Assert.False(Path.Exists((string)tools["out_path"]!));

        var text = SowerProcess.Run(OfflineEnv(), null, "build", "--eval-only", file);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"tools  {(string)tools["drv_path"]!}  seed gcroot tools-{_nonce}", text.Stdout);
        Assert.EndsWith("sower build: 3 evaluated, 0 failed\n", text.Stdout);
    }

    [Fact]
    public void A_flake_is_built_pushed_to_a_signed_cache_and_its_seeds_registered_with_cli_meta_then_repository_tags()
    {
        var flake = FlakeDir(Jobs());
        var cache = NewCache();
        var result = SowerProcess.Run(Env(), flake, "build", $".#sowerJobs.{System}", "--seed", "--cache", cache.Url,
            "--tag", "pipeline=ci", "--tag", "role=web", "-j", "2", "--eval-jobs", "2", "--json");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        var report = Report(result);
        Assert.Equal(3, (int)report["evaluated"]!);
        Assert.Equal(3, (int)report["built"]!);
        Assert.Equal(3, (int)report["pushed"]!);
        Assert.Equal(2, (int)report["registered"]!);
        Assert.Equal(0, (int)report["failed"]!);
        // The --json shape is a contract for CI scripts: exactly these fields.
        Assert.Equal(["built", "caches", "evaluated", "failed", "jobs", "pushed", "registered", "target"], report.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["attr", "attr_path", "built", "drv_path", "error", "failed_step", "out_path", "outputs", "pushed", "seed", "seed_sid", "system", "tags"],
            Job(report, "tools").Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["cache", "error", "ok"], report["caches"]!.AsArray().Single()!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        foreach (var attr in new[] { "tools", "hosts.web", "plain" })
        {
            var job = Job(report, attr);
            var output = (string)job["out_path"]!;
            Assert.True(Directory.Exists(output) || File.Exists(output), $"{attr} was not built");
            // In the cache and signed by its key on the way in.
            var narinfo = cache.NarInfo(output);
            Assert.True(narinfo is not null, $"{output} is not in the cache");
            Assert.Contains($"Sig: {cache.PublicKey.Split(':')[0]}:", narinfo);
        }
        Assert.Null(Job(report, "plain")["seed_sid"]);

        // Registered on the server as `seed submit` would: CLI tags, then metadata tags (the duplicate role=web dropped).
        var web = Job(report, "hosts.web");
        var shown = SowerProcess.JsonLine(Sow.Run(server, "seed", "show", (string)web["seed_sid"]!, "--json"));
        Assert.Equal($"web-{_nonce}", (string)shown["name"]!);
        Assert.Equal("nixos", (string)shown["seed_type"]!);
        Assert.Equal((string)web["out_path"]!, (string)shown["artifact"]!);
        Assert.Equal(["pipeline=ci", "role=web"], Tags(shown));
        var tools = SowerProcess.JsonLine(Sow.Run(server, "seed", "show", (string)Job(report, "tools")["seed_sid"]!, "--json"));
        Assert.Equal(["pipeline=ci", "role=web", "channel=stable", "multi=a", "multi=b"], Tags(tools));
        Assert.Equal("gcroot", (string)tools["seed_type"]!);
    }

    [Fact]
    public void A_git_checkout_adds_repository_tags_last_and_the_text_output_ends_with_one_summary_line()
    {
        var file = NixFile(Jobs());
        var dir = Path.GetDirectoryName(file)!;
        foreach (var args in new[] { new[] { "init", "-q", "-b", "release" }, ["add", "."], ["-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "jobs"] })
        {
            Assert.Equal(0, ProcessRunner.Run("git", args, dir)!.ExitCode);
        }
        var rev = ProcessRunner.Run("git", ["rev-parse", "HEAD"], dir)!.Stdout.Trim();
        var cache = NewCache();
        // Run from elsewhere: the tags come from the target's checkout, not the working directory.
        var result = SowerProcess.Run(Env(), Path.GetTempPath(), "build", file, "-s", "-c", cache.Url, "-t", "pipeline=ci");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Contains("built hosts.web /nix/store/", result.Stdout);
        Assert.Contains($"pushed 3 paths to {cache.Url}", result.Stdout);
        var registered = result.Stdout.Split('\n').Single(l => l.StartsWith("registered hosts.web as seed_", StringComparison.Ordinal));
        Assert.EndsWith($"(nixos web-{_nonce})", registered);
        Assert.EndsWith("sower build: 3 evaluated, 3 built, 3 pushed, 2 registered, 0 failed\n", result.Stdout);
        var sid = registered.Split(' ')[3];
        var shown = SowerProcess.JsonLine(Sow.Run(server, "seed", "show", sid, "--json"));
        Assert.Equal(["pipeline=ci", "role=web", "git_branch=release", $"git_rev={rev}"], Tags(shown));
    }

    [Fact]
    public void Failures_are_reported_per_attribute_with_nixs_message_and_everything_else_is_still_built()
    {
        var file = NixFile(Jobs("""
            thrown = throw "this host is not ready";
            missing = (mk "missing" "true").noSuchAttribute;
            typeError.inner = 1 + "one";
            broken = seed "broken" "gcroot" { } (mk "broken" "echo going down >&2; exit 3");
            badTags = seed "badtags" "gcroot" { f = x: x; } (mk "badtags" "echo > $out");
            """));
        var result = SowerProcess.Run(OfflineEnv(), null, "build", file, "--json");
        Assert.Equal(1, result.ExitCode);
        var report = Report(result);
        Assert.Equal(3, (int)report["built"]!);
        Assert.Equal(5, (int)report["failed"]!);
        Assert.Contains("this host is not ready", (string)Job(report, "thrown")["error"]!);
        Assert.Contains("noSuchAttribute", (string)Job(report, "missing")["error"]!);
        Assert.Contains("cannot add a string to an integer", (string)Job(report, "typeError.inner")["error"]!);
        Assert.Contains("cannot convert a function to JSON", (string)Job(report, "badTags")["error"]!);
        var broken = Job(report, "broken");
        Assert.Equal("build", (string)broken["failed_step"]!);
        Assert.Contains("going down", (string)broken["error"]!);
        Assert.Equal("eval", (string)Job(report, "thrown")["failed_step"]!);
        Assert.True((bool)Job(report, "tools")["built"]!);
        // Every failure is also one error line (plus Nix's message) on stderr, never a stack trace.
        Assert.Contains("error: thrown: evaluation failed: this host is not ready", result.Stderr);
        Assert.Contains("error: broken: build failed:", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        Assert.DoesNotContain("«string»", result.Stderr); // the walker's own source is never shown

        var text = SowerProcess.Run(OfflineEnv(), null, "build", file);
        Assert.Equal(1, text.ExitCode);
        Assert.EndsWith("sower build: 4 evaluated, 3 built, 5 failed\n", text.Stdout); // broken evaluated, then failed to build
    }

    [Fact]
    public void Hostile_attribute_names_are_passed_to_nix_as_data_never_as_code()
    {
        // Names with quotes, backslashes and "${…}" reach the walker's expressions when a subtree is split after an
        // uncatchable error; they must arrive as plain strings (the abort would fail the run if it were evaluated).
        var file = NixFile($$"""
            let mk = name: derivation { inherit name; system = "{{System}}"; builder = "/bin/sh"; nonce = "{{_nonce}}"; args = [ "-c" "echo > $out" ]; };
            in {
              "a\"b" = mk "quote";
              "\${builtins.abort \"injected\"}" = mk "interpolation";
              "back\\slash" = mk "backslash";
              "dot.ted" = { inner = mk "dotted"; bad = 1 + "x"; };
            }
            """);
        var result = SowerProcess.Run(OfflineEnv(), null, "build", "--eval-only", file, "--json");
        Assert.Equal(1, result.ExitCode); // only "dot.ted".bad
        var report = Report(result);
        Assert.Equal(["\"\\${builtins.abort \\\"injected\\\"}\"", "\"a\\\"b\"", "\"back\\\\slash\"", "\"dot.ted\".bad", "\"dot.ted\".inner"],
            report["jobs"]!.AsArray().Select(j => (string)j!["attr"]!).Order(StringComparer.Ordinal));
        Assert.Equal(["${builtins.abort \"injected\"}"], Job(report, "\"\\${builtins.abort \\\"injected\\\"}\"")["attr_path"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(1, (int)report["failed"]!);
        Assert.DoesNotContain("evaluation aborted", result.Stderr);
    }

    [Fact]
    public void Fail_fast_stops_after_an_evaluation_failure_without_building()
    {
        var file = NixFile(Jobs("""thrown = throw "stop here";"""));
        var result = SowerProcess.Run(OfflineEnv(), null, "build", file, "--fail-fast", "--json");
        Assert.Equal(1, result.ExitCode);
        var report = Report(result);
        Assert.Equal(0, (int)report["built"]!);
        Assert.False(Path.Exists((string)Job(report, "tools")["out_path"]!));
    }

    [Fact]
    public void Non_authoritative_registration_keeps_the_name_an_existing_seed_has()
    {
        var first = NixFile(Jobs());
        var cache = NewCache();
        var a = Report(SowerProcess.Run(Env(), null, "build", first, "--seed", "--cache", cache.Url, "--no-git", "--json"));
        var sid = (string)Job(a, "tools")["seed_sid"]!;
        // The same derivation, now labelled with another seed name.
        var renamed = NixFile(Jobs().Replace($"seed \"tools-{_nonce}\"", $"seed \"renamed-{_nonce}\"", StringComparison.Ordinal));
        var b = SowerProcess.Run(Env(), null, "build", renamed, "--seed", "--cache", cache.Url, "--no-git", "--non-authoritative", "--json");
        Assert.True(b.ExitCode == 0, b.Stdout + b.Stderr);
        Assert.Equal(sid, (string)Job(Report(b), "tools")["seed_sid"]!);
        Assert.Equal($"tools-{_nonce}", (string)SowerProcess.JsonLine(Sow.Run(server, "seed", "show", sid, "--json"))["name"]!);
        // Authoritative (the default): the seed takes the new name.
        var c = SowerProcess.Run(Env(), null, "build", renamed, "--seed", "--cache", cache.Url, "--no-git", "--json");
        Assert.True(c.ExitCode == 0, c.Stdout + c.Stderr);
        Assert.Equal($"renamed-{_nonce}", (string)SowerProcess.JsonLine(Sow.Run(server, "seed", "show", sid, "--json"))["name"]!);
    }

    [Fact]
    public void Seed_metadata_the_server_would_not_accept_fails_that_attribute_only()
    {
        var file = NixFile(Jobs("""
            unknownType = seed "x" "nix" { } (mk "unknown-type" "echo > $out");
            noMarker = seed "nomarker" "nixos" { } (mk "no-marker" "/bin/mkdir $out");
            """));
        var cache = NewCache();
        var result = SowerProcess.Run(Env(), null, "build", file, "--seed", "--cache", cache.Url, "--no-git", "--json");
        Assert.Equal(1, result.ExitCode);
        var report = Report(result);
        Assert.Equal(2, (int)report["registered"]!);
        Assert.Equal("seed", (string)Job(report, "unknownType")["failed_step"]!);
        Assert.StartsWith("meta.sower.seed.seed_type \"nix\" is not a seed type", (string)Job(report, "unknownType")["error"]!);
        Assert.Equal("artifact does not look like a nixos seed: missing nixos-version", (string)Job(report, "noMarker")["error"]!);
    }

    [Fact]
    public void A_rejected_token_fails_before_anything_is_evaluated_or_built()
    {
        var file = NixFile(Jobs());
        var cache = NewCache();
        var result = SowerProcess.Run(Env("sower_nope_nope"), null, "build", file, "--seed", "--cache", cache.Url, "--no-git");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: the server rejected the access token", Sow.SingleError(result));
        Assert.False(Directory.Exists(cache.Dir));
    }

    [Theory]
    [InlineData("nope.nix", new string[0], "error: nope.nix: no such file")]
    [InlineData("JOBS", new[] { "--push" }, "error: --cache is required for --push")]
    [InlineData("JOBS", new[] { "--seed" }, "error: --cache is required for --seed (seeds are pushed before they are registered)")]
    [InlineData("JOBS", new[] { "--cache", "file:///tmp/x" }, "error: --cache needs --push or --seed")]
    [InlineData("JOBS", new[] { "--eval-only", "--push", "-c", "file:///tmp/x" }, "error: --eval-only cannot be combined with --push or --seed")]
    [InlineData("JOBS", new[] { "--push", "-c", "attic://nocache" }, "error: invalid cache attic://nocache: expected attic://SERVER:CACHE (the server as named in attic's config, and the cache)")]
    [InlineData("JOBS", new[] { "--push", "-c", "attic://srv:cache" }, "error: attic is not installed or not on PATH: pushing to attic://srv:cache needs the attic client (attic-client)")]
    [InlineData("JOBS", new[] { "--push", "-c", "niks3://cache.example.org" }, "error: niks3 is not installed or not on PATH: pushing to niks3://cache.example.org needs the niks3 client")]
    [InlineData("JOBS", new[] { "--eval-jobs", "0" }, "error: --eval-jobs must be from 1 to 256")]
    [InlineData("JOBS", new[] { "-A", "a..b" }, "error: invalid --attr \"a..b\": empty attribute name")]
    [InlineData("JOBS", new[] { "-t", "=x" }, "error: invalid --tag \"=x\": expected key=value with a non-empty key")]
    [InlineData("/", new string[0], "error: cannot tell how to evaluate /: it is not a flake reference (REF#ATTR), a .nix file, or a directory with flake.nix or default.nix; use --eval-type")]
    public void Bad_targets_and_flags_are_usage_errors_before_nix_runs(string target, string[] flags, string expected)
    {
        var file = target == "JOBS" ? NixFile(Jobs()) : target;
        var result = SowerProcess.Run(OfflineEnv(), Path.GetTempPath(), ["build", file, .. flags]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, Sow.SingleError(result));
    }

    [Fact]
    public void A_target_nix_cannot_evaluate_fails_with_nixs_message()
    {
        var syntax = SowerProcess.Run(OfflineEnv(), null, "build", NixFile("{ a = ; }"));
        Assert.Equal(1, syntax.ExitCode);
        Assert.Contains("cannot evaluate", syntax.Stderr);
        Assert.Contains("syntax error", syntax.Stderr);

        var flake = FlakeDir(Jobs());
        var missingAttr = SowerProcess.Run(OfflineEnv(), flake, "build", ".#sowerJobs.no-such-system");
        Assert.Equal(1, missingAttr.ExitCode);
        Assert.Contains("does not provide attribute", missingAttr.Stderr);

        var notASet = SowerProcess.Run(OfflineEnv(), null, "build", NixFile("42"));
        Assert.Equal(1, notASet.ExitCode);
        Assert.EndsWith("jobs.nix evaluates to a value of type int, not an attribute set or a derivation: nothing to build", Sow.SingleError(notASet));

        // A file holding `_: { }` (the REFERENCE's smoke test): nothing to build, and that is fine.
        var empty = SowerProcess.Run(OfflineEnv(), null, "build", "--eval-only", "--eval-type", "path", NixFile("_: { }"));
        Assert.True(empty.ExitCode == 0, empty.Stderr);
        Assert.Equal("sower build: 0 evaluated, 0 failed\n", empty.Stdout);
    }

    [Fact]
    public void Without_nix_on_the_path_the_error_says_what_to_install()
    {
        var noNix = Directory.CreateTempSubdirectory("sower-no-nix-").FullName;
        var env = OfflineEnv();
        env["PATH"] = noNix;
        var result = SowerProcess.Run(env, null, "build", NixFile(Jobs()));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: nix-instantiate is not installed or not on PATH: sower build needs Nix", Sow.SingleError(result));
    }

    [Fact]
    public void A_bare_flake_directory_means_its_sowerJobs_for_this_system_and_attr_narrows_the_walk()
    {
        var flake = FlakeDir(Jobs());
        var result = SowerProcess.Run(OfflineEnv(), null, "build", "--eval-only", flake, "-A", "hosts", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var report = Report(result);
        Assert.Equal($"{flake}#sowerJobs.{System} -A hosts", (string)report["target"]!);
        Assert.Equal(["hosts.web"], report["jobs"]!.AsArray().Select(j => (string)j!["attr"]!));
    }

    [Fact]
    public void On_a_terminal_a_progress_line_counts_evaluated_and_built_derivations()
    {
        Environment.SetEnvironmentVariable("NIX_CONFIG", NixConfig); // in-process: the nix children inherit it
        using var output = new StringWriter();
        using var error = new StringWriter();
        var io = new CliIo(output, error, new StringReader(""), outputIsTerminal: false, errorIsTerminal: true);
        var code = Program.Run(["build", NixFile(Jobs())], io);
        Assert.True(code == 0, output + error.ToString());
        Assert.Contains("evaluated 3 · built 0/3", error.ToString());
        Assert.Contains("evaluated 3 · built 3/3", error.ToString());
        Assert.EndsWith("\r\u001b[2K", error.ToString()); // cleared before the summary
        Assert.EndsWith("sower build: 3 evaluated, 3 built, 0 failed\n", output.ToString());
    }
}
