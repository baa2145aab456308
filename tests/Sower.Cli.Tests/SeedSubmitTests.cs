using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>`sower seed submit` as a real process against a real server: repository tags, and the live rollout to a garden.</summary>
[Collection(ServerCollection.Name)]
public sealed class SeedSubmitTests(TestServer server)
{
    private static void Git(string dir, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "test@example.org";
        using var p = Process.Start(start)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }

    private static string GitOut(string dir, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }

    private static List<string> Tags(JsonObject seed) =>
        [.. seed["tags"]!.AsArray().Select(t => $"{(string)t!["key"]!}={(string)t["value"]!}")];

    private async Task WaitForSubscriptions(TestGarden garden, int count)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        await Sow.Eventually(() =>
        {
            var g = JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens/{garden.Sid}").Result)!;
            return g["subscriptions"]!.AsArray().Count == count && (bool)g["online"]!;
        }, "the garden's subscriptions in the read model");
    }

    [Fact]
    public void Submit_adds_branch_rev_and_tag_from_a_clean_checkout_and_dirty_marks_from_a_dirty_one()
    {
        var repo = Directory.CreateTempSubdirectory("sower-git-").FullName;
        Git(repo, "init", "-q", "-b", "production");
        File.WriteAllText(Path.Combine(repo, "flake-ish.txt"), "hello");
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "first");
        Git(repo, "tag", "v1.2.0");
        var rev = GitOut(repo, "rev-parse", "HEAD");

        var artifact = Sow.NixosArtifact("gitclean");
        var clean = SowerProcess.Run(Sow.Env(server), repo, "seed", "submit", artifact, "--name", "gitclean", "--type", "nixos",
            "--tag", "channel=stable", "--tag", "git_branch=production", "--json");
        Assert.True(clean.ExitCode == 0, clean.Stderr);
        var submitted = SowerProcess.JsonLine(clean);
        Assert.True((bool)submitted["created"]!);
        // CLI tags first, then the artifact's metadata, then repository tags; the duplicate git_branch pair is dropped.
        Assert.Equal(["channel=stable", "git_branch=production", "system=x86_64-linux", "nixos_version=24.05.20260101.abcdef0", $"git_rev={rev}", "git_tag=v1.2.0"],
            Tags(submitted["seed"]!.AsObject()));

        File.WriteAllText(Path.Combine(repo, "flake-ish.txt"), "changed");
        var dirtyArtifact = Sow.NixosArtifact("gitdirty");
        var dirty = SowerProcess.Run(Sow.Env(server), repo, "seed", "submit", "--path", dirtyArtifact, "-n", "gitdirty", "-t", "nixos", "--json");
        Assert.True(dirty.ExitCode == 0, dirty.Stderr);
        var dirtyTags = Tags(SowerProcess.JsonLine(dirty)["seed"]!.AsObject());
        Assert.Contains("git_dirty=true", dirtyTags);
        Assert.Contains($"git_rev={rev}-dirty", dirtyTags);
        Assert.DoesNotContain(dirtyTags, t => t.StartsWith("git_branch=", StringComparison.Ordinal) || t.StartsWith("git_tag=", StringComparison.Ordinal));

        var noGit = SowerProcess.Run(Sow.Env(server), repo, "seed", "submit", Sow.NixosArtifact("gitnone"), "-n", "gitnone", "-t", "nixos", "--no-git", "--json");
        Assert.DoesNotContain(Tags(SowerProcess.JsonLine(noGit)["seed"]!.AsObject()), t => t.StartsWith("git_", StringComparison.Ordinal));

        // The tags are on the server: seed show reads them back.
        var shown = SowerProcess.JsonLine(Sow.Run(server, "seed", "show", (string)submitted["seed"]!["sid"]!, "--json"));
        Assert.Contains($"git_rev={rev}", Tags(shown));
        Assert.False((bool)shown["retired"]!);

        // Retired: kept, but never the latest any more.
        var retired = SowerProcess.JsonLine(Sow.Run(server, "seed", "retire", (string)submitted["seed"]!["sid"]!, "--json"));
        Assert.True((bool)retired["retired"]!);
        Assert.Equal(3, Sow.Run(server, "seed", "latest", "-n", "gitclean", "-t", "nixos").ExitCode);
    }

    [Fact]
    public void A_flake_checkout_adds_the_locked_revision_as_flake_git_rev()
    {
        var repo = Directory.CreateTempSubdirectory("sower-flake-").FullName;
        Git(repo, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(repo, "flake.nix"), "{ outputs = _: {}; }\n");
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "flake");
        var rev = GitOut(repo, "rev-parse", "HEAD");
        var result = SowerProcess.Run(Sow.Env(server), repo, "seed", "submit", Sow.NixosArtifact("flake01"), "-n", "flake01", "-t", "nixos", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var tags = Tags(SowerProcess.JsonLine(result)["seed"]!.AsObject());
        Assert.Contains($"flake_git_rev={rev}", tags);
        Assert.Contains("git_branch=main", tags);
    }

    [Theory]
    [InlineData("=v", "error: invalid --tag \"=v\": expected key=value with a non-empty key")]
    [InlineData("novalue", "error: invalid --tag \"novalue\": expected key=value with a non-empty key")]
    public void Bad_tags_are_usage_errors_before_anything_is_sent(string tag, string expected)
    {
        var result = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = "http://127.0.0.1:1" }, null,
            "seed", "submit", Sow.NixosArtifact("badtag"), "-n", "badtag", "-t", "nixos", "--tag", tag);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, Sow.SingleError(result));
    }

    [Fact]
    public void A_tag_value_may_be_empty_or_contain_equals_signs()
    {
        var result = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("tagvalues"), "-n", "tagvalues", "-t", "nixos", "--no-git",
            "--tag", "empty=", "--tag", "url=a=b=c", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var tags = Tags(SowerProcess.JsonLine(result)["seed"]!.AsObject());
        Assert.Equal(["empty=", "url=a=b=c"], tags.Take(2));
        var unknownType = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("tagvalues"), "-n", "tagvalues", "-t", "nix", "--no-git");
        Assert.Equal(2, unknownType.ExitCode);
        Assert.Equal("error: unknown seed type \"nix\", expected one of nixos, home-manager, nix-darwin, service, gcroot", Sow.SingleError(unknownType));
    }

    [Fact]
    public void Submit_checks_the_type_marker_and_that_the_path_is_a_realised_store_path()
    {
        var noMarker = Sow.NixosArtifact("nomarker", marker: null);
        var result = Sow.Run(server, "seed", "submit", noMarker, "-n", "nomarker", "-t", "nixos", "--no-git");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: artifact does not look like a nixos seed: missing nixos-version", Sow.SingleError(result));

        var missing = Sow.Run(server, "seed", "submit", "/nix/store/00000000000000000000000000000000-absent", "-n", "x", "-t", "nixos", "--no-git");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("is not realised in the local Nix store", Sow.SingleError(missing));

        var notStore = Sow.Run(server, "seed", "submit", "/tmp/whatever", "-n", "x", "-t", "nixos", "--no-git");
        Assert.Equal(2, notStore.ExitCode);
        Assert.Equal("error: /tmp/whatever is not a store path: path must be in /nix/store", Sow.SingleError(notStore));
    }

    [Fact]
    public async Task Submit_wait_streams_matched_subscriptions_deployment_progress_and_the_result()
    {
        await using var garden = await TestGarden.Enroll(server, "rollout01");
        await garden.Sync(("rollout01", Sow.NixosSubscription("rollout01", Sow.Policy(("live", ["activate"], ["realtime", "manual"])))));
        await WaitForSubscriptions(garden, 1);

        var artifact = Sow.NixosArtifact("rollout01");
        var result = Sow.Run(server, "seed", "submit", artifact, "-n", "rollout01", "-t", "nixos", "--no-git", "--wait", "--timeout", "60s", "--json");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        var events = SowerProcess.JsonLines(result);
        Assert.Equal("submitted", (string?)events[0]["kind"]);
        var matched = Assert.Single(events, e => (string?)e["kind"] == "matched");
        Assert.Equal("allow", (string?)matched["decision"]);
        Assert.Equal("activate", (string?)matched["action"]);
        Assert.Equal(garden.SubscriptionSids["rollout01"], (string?)matched["subscription_sid"]);
        var deployments = events.Where(e => (string?)e["kind"] == "deployment").ToList();
        Assert.Contains(deployments, d => (string?)d["state"] == "completed" && (string?)d["result"] == "success");
        Assert.Contains(events, e => (string?)e["kind"] == "log" && (string?)e["line"] == "activated");
        var done = events[^1];
        Assert.Equal("done", (string?)done["kind"]);
        Assert.Equal(1, (int)done["succeeded"]!);
        Assert.Equal(0, (int)done["failed"]!);

        // The garden really received the deployment of this seed.
        Assert.Contains(garden.Received, p => p["seed_deployments"]?[0]?["seed"]?["artifact"]?.ToString() == artifact);

        // Promoting the seed the garden already runs deploys nothing, and --wait says so instead of replaying the old deployment.
        var seedSid = (string)events[0]["seed"]!["sid"]!;
        var current = Sow.Run(server, "seed", "promote", seedSid, "--wait", "--timeout", "60s");
        Assert.True(current.ExitCode == 0, current.Stdout + current.Stderr);
        Assert.Contains($"seed {seedSid} re-submitted and promoted", current.Stdout);
        Assert.Contains("matched rollout01/rollout01: already running it", current.Stdout);
        Assert.Contains("rollout finished: 1 matched, 0 succeeded, 0 failed, 0 held by policy, 1 already running it", current.Stdout);
        Assert.Equal("", current.Stderr);
    }

    [Fact]
    public async Task Promoting_an_earlier_seed_after_a_newer_one_deployed_pushes_it_again_and_wait_follows_only_the_new_deployment()
    {
        await using var garden = await TestGarden.Enroll(server, "promote01");
        await garden.Sync(("promote01", Sow.NixosSubscription("promote01", Sow.Policy(("live", ["activate"], ["realtime"])))));
        await WaitForSubscriptions(garden, 1);
        var a = Sow.NixosArtifact("promote01-a");
        var b = Sow.NixosArtifact("promote01-b");
        var first = Sow.Run(server, "seed", "submit", a, "-n", "promote01", "-t", "nixos", "--no-git", "--wait", "--timeout", "60s", "--json");
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var seedA = (string)SowerProcess.JsonLines(first)[0]["seed"]!["sid"]!;
        var firstDeployment = (string)SowerProcess.JsonLines(first).First(e => (string?)e["kind"] == "deployment")["deployment_sid"]!;
        var second = Sow.Run(server, "seed", "submit", b, "-n", "promote01", "-t", "nixos", "--no-git", "--wait", "--timeout", "60s");
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);

        var promote = Sow.Run(server, "seed", "promote", seedA, "--wait", "--timeout", "60s", "--json");

        Assert.True(promote.ExitCode == 0, promote.Stdout + promote.Stderr);
        var events = SowerProcess.JsonLines(promote);
        var followed = events.Where(e => (string?)e["kind"] is "deployment" or "log").Select(e => (string)e["deployment_sid"]!).Distinct().ToList();
        var rollback = Assert.Single(followed);
        Assert.NotEqual(firstDeployment, rollback);
        Assert.Equal(1, (int)events[^1]["succeeded"]!);
        Assert.Equal(3, garden.Received.Count(p => p["skipped"]?.GetValue<bool>() != true));
        Assert.Equal(a, garden.Received.Last()["seed_deployments"]?[0]?["seed"]?["artifact"]?.ToString());
    }

    [Fact]
    public async Task Submit_wait_exits_1_when_a_garden_fails_the_deployment()
    {
        await using var garden = await TestGarden.Enroll(server, "failing01");
        garden.Outcome = "failure";
        await garden.Sync(("failing01", Sow.NixosSubscription("failing01", Sow.Policy(("live", ["activate"], ["realtime"])))));
        await WaitForSubscriptions(garden, 1);
        var result = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("failing01"), "-n", "failing01", "-t", "nixos", "--no-git", "--wait", "--timeout", "60s");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(failure)", result.Stdout);
        Assert.Contains("failing01 | activation failed: exit code 1", result.Stdout);
        Assert.Contains("1 failed", result.Stdout);
    }

    [Fact]
    public async Task Submit_wait_exits_4_when_every_matched_subscription_is_held_by_policy()
    {
        await using var garden = await TestGarden.Enroll(server, "held01");
        // Realtime only in a one-minute window six hours from now.
        var start = DateTime.UtcNow.AddHours(6);
        var policy = new JsonObject
        {
            ["night"] = new JsonObject
            {
                ["actions"] = new JsonArray("activate"),
                ["triggers"] = new JsonArray("realtime"),
                ["window"] = new JsonObject { ["time_start"] = start.ToString("HH:mm"), ["time_end"] = start.AddMinutes(1).ToString("HH:mm") },
            },
        };
        await garden.Sync(("held01", Sow.NixosSubscription("held01", policy)));
        await WaitForSubscriptions(garden, 1);
        var result = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("held01"), "-n", "held01", "-t", "nixos", "--no-git", "--wait", "--timeout", "30s");
        Assert.Equal(4, result.ExitCode);
        Assert.Contains("held by policy", result.Stdout);
        Assert.Contains("next window opens", result.Stdout);
        Assert.Contains("0 succeeded, 0 failed, 1 held by policy", result.Stdout);

        // A manual deploy of a subscription whose policy only allows realtime is denied: exit 4, one sentence.
        var deploy = Sow.Run(server, "deploy", "held01", "held01");
        Assert.Equal(4, deploy.ExitCode);
        Assert.StartsWith("error: denied by policy", Sow.SingleError(deploy));
    }
}
