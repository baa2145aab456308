using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>
/// Issue 14 from the command line, as real processes against the real server: <c>deploy -l</c>, the waves of
/// <c>seed submit --wait</c>, <c>reboot-lock list|release|groups</c> and the inhibited state in <c>garden show|list</c>,
/// each with the refusals a person without the role (or with a bad value) gets.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FleetOpsCommandTests(TestServer server)
{
    private static readonly JsonObject Contract = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Contracts", "json-fields.json")))!.AsObject();

    private static void Fields(string name, JsonNode? node)
    {
        var expected = Contract[name]!.AsArray().Select(f => (string)f!).Order(StringComparer.Ordinal).ToList();
        var actual = node!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
    }

    private async Task<TestGarden> Garden(string name, string line, string role, params string[] triggers)
    {
        var garden = await TestGarden.Enroll(server, name);
        await garden.Sync(("system", Sow.NixosSubscription(line, Sow.Policy(("live", ["activate"], triggers)))));
        var labelled = Sow.Run(server, "garden", "label", garden.Sid, "role=" + role);
        Assert.True(labelled.ExitCode == 0, labelled.Stdout + labelled.Stderr);
        return garden;
    }

    private async Task WaitForGardens(string selector, int count) =>
        await Sow.Eventually(() => SowerProcess.JsonLine(Sow.Run(server, "garden", "list", "-l", selector, "--json"))["gardens"]!.AsArray().Count == count,
            $"{count} gardens matching {selector}", 60);

    private string TokenWith(params string[] roles)
    {
        var args = new List<string> { "token", "create", "--description", "fleetops " + string.Join(",", roles) };
        foreach (var role in roles) args.AddRange(["--role", role]);
        var created = Sow.Run(server, [.. args]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        return created.Stdout.Trim();
    }

    [Fact]
    public async Task Deploy_with_a_selector_deploys_to_every_matching_garden_and_refuses_an_empty_match_a_bad_selector_and_a_reader()
    {
        await using var one = await Garden("fo-sel01", "fo-sel", "fo-sel", "manual");
        await using var two = await Garden("fo-sel02", "fo-sel", "fo-sel", "manual");
        await using var other = await Garden("fo-sel03", "fo-sel", "fo-other", "manual");
        var submit = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("fo-sel"), "-n", "fo-sel", "-t", "nixos", "--no-git");
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        await WaitForGardens("role=fo-sel", 2);

        var json = Sow.Run(server, "deploy", "-l", "role=fo-sel", "system", "--json");
        Assert.True(json.ExitCode == 0, json.Stdout + json.Stderr);
        var summary = SowerProcess.JsonLine(json);
        Fields("deploy -l", summary);
        foreach (var r in summary["results"]!.AsArray()) Fields("deploy -l.results[]", r);
        Assert.Equal(2, (int)summary["gardens"]!);
        Assert.Equal(2, (int)summary["requested"]!);
        Assert.Equal(["fo-sel01", "fo-sel02"], summary["results"]!.AsArray().Select(r => (string)r!["garden_name"]!).Order());
        Assert.All(summary["results"]!.AsArray(), r => Assert.StartsWith("dply_", (string)r!["deployment_sid"]!));

        var waited = Sow.Run(server, "deploy", "-l", "role=fo-sel", "--wait", "--timeout", "60s");
        Assert.True(waited.ExitCode == 0, waited.Stdout + waited.Stderr);
        Assert.Contains("deploy to role=fo-sel: 2 gardens matched", waited.Stdout);
        Assert.Contains("fo-sel01/system: deployment dply_", waited.Stdout);
        Assert.Contains("2 deployments requested, 0 denied by policy, 0 refused, 0 skipped", waited.Stdout);
        Assert.Contains("on fo-sel02: completed (success)", waited.Stdout);
        Assert.DoesNotContain("fo-sel03", waited.Stdout);

        var none = Sow.Run(server, "deploy", "-l", "role=fo-nobody");
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("no garden matches the label selector role=fo-nobody", Sow.SingleError(none));
        var noSubscription = Sow.Run(server, "deploy", "-l", "role=fo-sel", "no-such-subscription");
        Assert.Equal(3, noSubscription.ExitCode);
        Assert.Contains("skipped — the garden has no subscription named no-such-subscription", noSubscription.Stdout);

        var bad = Sow.Run(server, "deploy", "-l", "role=a b");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--selector", bad.Stderr);
        Assert.Equal(2, Sow.Run(server, "deploy", "-l", "role=fo-sel", "system", "extra").ExitCode);
        Assert.Equal(2, Sow.Run(server, "deploy").ExitCode);
        Assert.Equal(2, Sow.Run(server, "deploy", "fo-sel01", "system", "--type", "nixos").ExitCode);

        var reader = SowerProcess.Run(Sow.Env(server, TokenWith("deployment:read", "garden:read")), null, "deploy", "-l", "role=fo-sel");
        Assert.Equal(1, reader.ExitCode);
        Assert.Equal("error: the access token lacks the deployment:write role needed for this", Sow.SingleError(reader));
    }

    [Fact]
    public async Task Seed_submit_wait_shows_each_wave_and_exits_non_zero_when_the_rollout_halts()
    {
        await using var canary = await Garden("fo-wave01", "fo-wave", "fo-canary", "realtime");
        await using var rest = await Garden("fo-wave02", "fo-wave", "fo-web", "realtime");
        await WaitForGardens("role=fo-canary", 1);
        await WaitForGardens("role=fo-web", 1);
        var plan = Sow.Run(server, "rollout", "plan", "set", "fo-wave", "--type", "nixos", "-w", "canary: role=fo-canary", "-w", "rest", "--soak", "0");
        Assert.True(plan.ExitCode == 0, plan.Stdout + plan.Stderr);

        var good = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("fo-wave"), "-n", "fo-wave", "-t", "nixos", "--no-git", "--wait", "--timeout", "90s");
        Assert.True(good.ExitCode == 0, good.Stdout + good.Stderr);
        Assert.Contains("rollout wave 1 (canary): 1/1 succeeded, done", good.Stdout);
        Assert.Contains("rollout wave 2 (rest): 1/1 succeeded, done", good.Stdout);
        Assert.Contains("rollout completed", good.Stdout);

        canary.Outcome = "failure";
        var halted = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("fo-wave"), "-n", "fo-wave", "-t", "nixos", "--no-git", "--wait", "--timeout", "90s", "--json");
        Assert.Equal(1, halted.ExitCode);
        var events = SowerProcess.JsonLines(halted);
        var waves = events.Where(e => (string?)e["kind"] == "wave").ToList();
        foreach (var wave in waves) Fields("rollout wave", wave);
        Assert.Contains(waves, w => (int)w["number"]! == 1 && (string?)w["state"] == "halted" && (int)w["failed"]! == 1);
        Assert.DoesNotContain(waves, w => (int)w["number"]! == 2 && (string?)w["state"] != "pending");
        var done = events.Single(e => (string?)e["kind"] == "done");
        Fields("rollout done", done);
        Assert.Equal("halted", (string?)done["rollout_status"]);
        Assert.DoesNotContain(events, e => (string?)e["kind"] == "deployment" && (string?)e["garden_name"] == "fo-wave02");
    }

    [Fact]
    public async Task Reboot_lock_list_release_and_groups_work_for_admins_and_refuse_everyone_else()
    {
        await using var garden = await Garden("fo-lock01", "fo-lock", "fo-lock", "manual");
        var submit = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("fo-lock"), "-n", "fo-lock", "-t", "nixos", "--no-git");
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        var deploy = SowerProcess.JsonLine(Sow.Run(server, "deploy", "fo-lock01", "system", "--json"));
        var deployment = (string)deploy["deployment_sid"]!;

        var groups = Sow.Run(server, "reboot-lock", "groups", "fo-web:2:role=fo-web", "fo-lock:1:role=fo-lock,zone!=moon");
        Assert.True(groups.ExitCode == 0, groups.Stdout + groups.Stderr);
        Assert.Contains("fo-lock", groups.Stdout);
        Assert.Contains("role=fo-lock,zone!=moon", groups.Stdout);

        await garden.Call("reboot_lock:acquire", new JsonObject { ["deployment_sid"] = deployment });
        var list = Sow.Run(server, "reboot-lock", "list");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains($"fo-lock01 ({garden.Sid})", list.Stdout);
        Assert.Contains(deployment, list.Stdout);
        var listed = SowerProcess.JsonLine(Sow.Run(server, "reboot-lock", "list", "--json"));
        var lease = Assert.Single(listed["leases"]!.AsArray(), l => (string?)l!["garden_sid"] == garden.Sid)!;
        Assert.Equal("fo-lock", (string?)lease["group"]);

        // A reader may list, not release or change the groups; a token without garden:read may not even list.
        var readerEnv = Sow.Env(server, TokenWith("garden:read"));
        Assert.Equal(0, SowerProcess.Run(readerEnv, null, "reboot-lock", "list").ExitCode);
        var release = SowerProcess.Run(readerEnv, null, "reboot-lock", "release", garden.Sid);
        Assert.Equal(1, release.ExitCode);
        Assert.Equal("error: the access token lacks the admin role needed for this", Sow.SingleError(release));
        var regroup = SowerProcess.Run(readerEnv, null, "reboot-lock", "groups", "all:5:role=x");
        Assert.Equal(1, regroup.ExitCode);
        Assert.Equal("error: the access token lacks the admin role needed for this", Sow.SingleError(regroup));
        var stranger = SowerProcess.Run(Sow.Env(server, TokenWith("seed:read")), null, "reboot-lock", "list");
        Assert.Equal(1, stranger.ExitCode);
        Assert.Equal("error: the access token lacks the garden:read role needed for this", Sow.SingleError(stranger));
        Assert.Contains(deployment, Sow.Run(server, "reboot-lock", "list").Stdout);

        var released = Sow.Run(server, "reboot-lock", "release", garden.Sid);
        Assert.True(released.ExitCode == 0, released.Stderr);
        Assert.Equal($"released the reboot lease of {garden.Sid}", released.Stdout.Trim());
        Assert.DoesNotContain(deployment, Sow.Run(server, "reboot-lock", "list").Stdout);
        var again = Sow.Run(server, "reboot-lock", "release", garden.Sid);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("holds no reboot lease", Sow.SingleError(again));
        Assert.Equal(3, Sow.Run(server, "reboot-lock", "release", "../../etc/passwd").ExitCode);

        // Bad groups: the CLI's own syntax check, then the server's (every problem, nothing changed).
        Assert.Equal(2, Sow.Run(server, "reboot-lock", "groups", "no-colons").ExitCode);
        var hostile = Sow.Run(server, "reboot-lock", "groups", "web:0:role=we b");
        Assert.Equal(1, hostile.ExitCode);
        Assert.StartsWith("error: the server rejected the request:", Sow.SingleError(hostile));
        Assert.Contains("role=fo-lock,zone!=moon", Sow.Run(server, "reboot-lock", "list").Stdout);
        var cleared = Sow.Run(server, "reboot-lock", "groups");
        Assert.True(cleared.ExitCode == 0, cleared.Stderr);
        Assert.DoesNotContain("role=fo-lock", cleared.Stdout);
    }

    [Fact]
    public async Task Garden_show_and_list_say_whether_a_garden_is_inhibited_why_and_since_when()
    {
        await using var garden = await TestGarden.Enroll(server, "fo-inhibit01");
        await Sow.Eventually(() => Sow.Run(server, "garden", "show", "fo-inhibit01").ExitCode == 0, "the garden in the read model");
        Assert.Contains("inhibited:", Sow.Run(server, "garden", "show", "fo-inhibit01").Stdout);
        Assert.False((bool)SowerProcess.JsonLine(Sow.Run(server, "garden", "show", "fo-inhibit01", "--json"))["inhibited"]!);

        await garden.Call("garden:inhibition", new JsonObject { ["inhibited"] = true, ["reason"] = "inhibit file /run/sower/inhibit exists" });
        var show = Sow.Run(server, "garden", "show", "fo-inhibit01");
        Assert.Matches(@"inhibited:\s+yes, since \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d[^ ]*: inhibit file /run/sower/inhibit exists \(activations and restarts wait\)", show.Stdout);
        var detail = SowerProcess.JsonLine(Sow.Run(server, "garden", "show", "fo-inhibit01", "--json"));
        Fields("garden show", detail);
        Assert.True((bool)detail["inhibited"]!);
        Assert.Equal("inhibit file /run/sower/inhibit exists", (string?)detail["inhibition"]!["reason"]);
        var list = SowerProcess.JsonLine(Sow.Run(server, "garden", "list", "--json"));
        var item = Assert.Single(list["gardens"]!.AsArray(), g => (string?)g!["name"] == "fo-inhibit01")!;
        Fields("garden list.gardens[]", item);
        Assert.True((bool)item["inhibited"]!);
        Assert.Matches(@"fo-inhibit01 .*inhibited", Sow.Run(server, "garden", "list").Stdout);
        Assert.Contains("inhibit file /run/sower/inhibit exists", Sow.Run(server, "reboot-lock", "list").Stdout);

        await garden.Call("garden:inhibition", new JsonObject { ["inhibited"] = false, ["reason"] = null });
        Assert.Matches(@"inhibited:\s+no", Sow.Run(server, "garden", "show", "fo-inhibit01").Stdout);
    }
}
