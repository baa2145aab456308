using System.Text.Json.Nodes;

namespace Sower.Cli.Tests;

public sealed class PolicyEvalCommandTests : IDisposable
{
    private const string WeeklyPolicy = """
        {"nightly": {"actions": ["stage", "activate"], "triggers": ["scheduled", "poll_on_connect"],
                     "window": {"time_start": "04:00", "time_end": "06:00"}},
         "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                           "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}}}
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("sower-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PolicyFile(string json, string name = "policy.json")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonObject SingleJsonObject(CliResult result)
    {
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        return Assert.IsType<JsonObject>(JsonNode.Parse(lines[0]));
    }

    [Fact]
    public void Prints_the_decision_highest_action_matched_rules_and_next_change()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-29T04:30:00+01:00", "--timezone", "Europe/Berlin", "--trigger", "scheduled");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"decision":"confirm","action":"restart","highest":"restart","realtime":false,"matched_rules":["weekly-reboot"],"next_change":"2026-11-29T05:00:00.0000001Z"}""",
            result.Stdout.TrimEnd());
        Assert.Equal("", result.Stderr);
    }

    private string GardenConfig() => PolicyFile(
        """{"endpoint": "http://127.0.0.1:7150", "name": "demo-host", "subscriptions": {"system": {"seed_name": "demo", "seed_type": "nixos", "timezone": "Europe/Berlin", "policy": """
        + WeeklyPolicy + """}, "home": {"seed_name": "hm", "seed_type": "home-manager"}}}""", "client.json");

    [Fact]
    public void A_garden_config_and_a_subscription_name_evaluate_that_subscriptions_policy_with_its_type_and_time_zone()
    {
        // A wall-clock --at: the subscription's Europe/Berlin makes 04:30 the same instant as the --policy case above.
        var result = CliRunner.InProcess("policy", "eval", "--config", GardenConfig(), "--subscription", "system",
            "--at", "2026-11-29T04:30:00", "--trigger", "scheduled");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"decision":"confirm","action":"restart","highest":"restart","realtime":false,"matched_rules":["weekly-reboot"],"next_change":"2026-11-29T05:00:00.0000001Z"}""",
            result.Stdout.TrimEnd());
        // A subscription without a policy has the default one (no realtime).
        var home = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--config", GardenConfig(), "--subscription", "home", "--trigger", "realtime"));
        Assert.Equal("deny", (string?)home["decision"]);
    }

    [Fact]
    public void A_garden_config_given_as_a_policy_or_a_missing_subscription_is_explained_in_one_sentence()
    {
        var asPolicy = CliRunner.InProcess("policy", "eval", "--policy", GardenConfig(), "--seed-type", "nixos", "--at", "2026-11-29T04:30:00Z");
        Assert.Equal(2, asPolicy.ExitCode);
        Assert.Equal($"error: \"{Path.Combine(_directory, "client.json")}\" is a garden configuration, not a policy: use --config {Path.Combine(_directory, "client.json")} --subscription NAME\n",
            asPolicy.Stderr);

        var unknown = CliRunner.InProcess("policy", "eval", "--config", GardenConfig(), "--subscription", "sytem");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal($"error: no subscription \"sytem\" in \"{Path.Combine(_directory, "client.json")}\" (it has: system, home)\n", unknown.Stderr);

        var unnamed = CliRunner.InProcess("policy", "eval", "--config", GardenConfig());
        Assert.Equal("error: name the subscription with --subscription NAME (it has: system, home)\n", unnamed.Stderr);

        var neither = CliRunner.InProcess("policy", "eval", "--seed-type", "nixos");
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("needs either --policy FILE", neither.Stderr);
        Assert.Equal("", neither.Stdout);

        var notAConfig = CliRunner.InProcess("policy", "eval", "--config", PolicyFile(WeeklyPolicy));
        Assert.Contains("is not a garden configuration (no \"subscriptions\" object); for a policy file use --policy FILE --seed-type TYPE", notAConfig.Stderr);
    }

    [Fact]
    public void Without_a_trigger_decision_and_action_are_null_and_highest_ignores_triggers()
    {
        var json = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-30T05:00:00Z"));
        Assert.Null(json["decision"]);
        Assert.Null(json["action"]);
        Assert.True(json.ContainsKey("decision"));
        Assert.True(json.ContainsKey("action"));
        Assert.Equal("activate", (string?)json["highest"]);
        Assert.Equal("2026-11-30T06:00:00.0000001Z", (string?)json["next_change"]);
        Assert.Equal(["nightly"], json["matched_rules"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public void A_denied_trigger_has_a_null_action_and_no_matched_rules()
    {
        var json = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-30T05:00:00Z", "--trigger", "manual"));
        Assert.Equal("deny", (string?)json["decision"]);
        Assert.Null(json["action"]);
        Assert.Empty(json["matched_rules"]!.AsArray());
        Assert.Null(json["next_change"]);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void A_null_or_empty_policy_is_the_default(string policy)
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(policy), "--seed-type", "home-manager",
            "--at", "2026-11-30T05:00:00Z", "--trigger", "poll_on_connect");
        Assert.Equal("""{"decision":"allow","action":"activate","highest":"activate","realtime":false,"matched_rules":["default"],"next_change":null}""",
            result.Stdout.TrimEnd());
    }

    [Fact]
    public void The_list_form_is_accepted_and_realtime_reported()
    {
        var json = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", PolicyFile("""[{"actions": ["stage"]}]"""),
            "--seed-type", "gcroot", "--at", "2026-11-30T05:00:00Z", "--trigger", "realtime"));
        Assert.Equal("allow", (string?)json["decision"]);
        Assert.Equal("stage", (string?)json["action"]);
        Assert.True((bool)json["realtime"]!);
        Assert.Equal(["rule-1"], json["matched_rules"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public void The_policy_can_come_from_stdin()
    {
        var result = CliRunner.InProcessWithStdin("""{"r": {"actions": ["activate"], "triggers": ["manual"]}}""",
            "policy", "eval", "--policy", "-", "--seed-type", "service", "--at", "2026-11-30T05:00:00Z", "--trigger", "manual");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("allow", (string?)SingleJsonObject(result)["decision"]);
    }

    [Fact]
    public void An_at_without_offset_is_wall_clock_time_in_the_timezone()
    {
        var json = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-29T06:00", "--timezone", "Europe/Berlin", "--trigger", "scheduled"));
        Assert.Equal("confirm", (string?)json["decision"]);
        Assert.Equal("2026-11-29T05:00:00.0000001Z", (string?)json["next_change"]);
    }

    [Fact]
    public void Explain_writes_a_readable_explanation_to_stderr_and_keeps_stdout_json()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-29T04:30:00Z", "--trigger", "scheduled", "--explain");
        Assert.Equal(0, result.ExitCode);
        SingleJsonObject(result);
        Assert.Contains("Decision: confirm restart (matched: weekly-reboot)", result.Stderr);
        Assert.Contains("Next change:", result.Stderr);
    }

    [Fact]
    public void Unsupported_actions_are_warned_about_not_rejected()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile("""{"r": {"actions": ["restart", "activate"]}}"""),
            "--seed-type", "home-manager", "--at", "2026-11-30T05:00:00Z", "--trigger", "manual");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("activate", (string?)SingleJsonObject(result)["action"]);
        Assert.Contains("warning: policy rule \"r\": unsupported action \"restart\" for seed type home-manager", result.Stderr);
    }

    [Fact]
    public void An_invalid_policy_reports_every_problem_with_its_path_and_exits_2()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile("""
            {"maintenance": {"actions": ["activate", "reboot"], "triggers": ["cron"],
                             "window": {"time_start": "9:00", "time_end": "24:00", "days": ["Mon"], "tz": "Mars/Base"}}}
            """), "--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("error: policy.maintenance.actions[1]: unknown action \"reboot\"", result.Stderr);
        Assert.Contains("error: policy.maintenance.triggers[0]: unknown trigger \"cron\"", result.Stderr);
        Assert.Contains("error: policy.maintenance.window.time_start: expected HH:MM, got \"9:00\"", result.Stderr);
        Assert.Contains("error: policy.maintenance.window.time_end: expected HH:MM, got \"24:00\"", result.Stderr);
        Assert.Contains("error: policy.maintenance.window.days[0]: unknown day \"Mon\"", result.Stderr);
        Assert.Contains("error: policy.maintenance.window.tz: unknown time zone \"Mars/Base\"", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Every_bad_argument_is_reported_at_once()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", Path.Combine(_directory, "missing.json"), "--seed-type", "nix",
            "--at", "yesterday", "--timezone", "Berlin", "--trigger", "cron");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal(
        [
            "error: unknown seed type \"nix\", expected one of nixos, home-manager, nix-darwin, service, gcroot",
            "error: unknown time zone \"Berlin\" for --timezone, expected an IANA id such as Europe/Berlin",
            "error: invalid --at \"yesterday\": expected an ISO-8601 date and time such as 2026-11-29T04:30:00Z or 2026-11-29T05:30:00+01:00",
            "error: unknown trigger \"cron\", expected one of manual, scheduled, realtime, poll_on_connect, recall",
            $"error: cannot read policy file \"{Path.Combine(_directory, "missing.json")}\": no such file",
        ], result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("", "is not valid JSON")]
    [InlineData("{\"a\": ", "is not valid JSON")]
    [InlineData("5", "policy: expected a map of rule name to rule, a list of rules, or null, got 5")]
    public void Malformed_policy_files_are_invalid_input(string content, string expected)
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(content), "--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.StartsWith("error: ", result.Stderr);
    }

    [Fact]
    public void A_directory_as_policy_file_is_invalid_input()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", _directory, "--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: cannot read policy file", result.Stderr);
    }

    [Theory]
    [InlineData("--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z")]
    [InlineData("--policy", "p.json", "--at", "2026-11-30T05:00:00Z")]
    [InlineData("--policy", "p.json", "--config", "client.json", "--seed-type", "nixos")]
    [InlineData("--policy", "p.json", "--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z", "--frobnicate")]
    [InlineData("--policy")]
    public void Usage_errors_exit_2_with_a_hint(params string[] args)
    {
        var result = CliRunner.InProcess(["policy", "eval", .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Contains("Run 'sower policy eval --help' for usage.", result.Stderr);
    }

    [Fact]
    public void Help_exits_0()
    {
        var result = CliRunner.InProcess("policy", "eval", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--seed-type", result.Stdout);
        Assert.Contains("--trigger", result.Stdout);
    }

    [Fact]
    public void The_real_program_evaluates_a_policy()
    {
        var result = CliRunner.Process(null, "policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-29T04:30:00Z", "--trigger", "scheduled", "--explain");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"decision":"confirm","action":"restart","highest":"restart","realtime":false,"matched_rules":["weekly-reboot"],"next_change":"2026-11-29T06:00:00.0000001Z"}""",
            result.Stdout.TrimEnd());
        Assert.Contains("Decision: confirm restart", result.Stderr);
    }

    [Fact]
    public void The_real_program_reports_invalid_input_with_exit_code_2_and_no_stack_trace()
    {
        var result = CliRunner.Process("{\"a\": {\"actions\": []}}", "policy", "eval", "--policy", "-", "--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("error: policy.a.actions: must not be empty", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
    }

    [Fact]
    public void An_at_with_sub_second_precision_is_exact_at_an_inclusive_end()
    {
        var open = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-29T06:00:00.0000000Z"));
        Assert.Equal("restart", (string?)open["highest"]);
        var closed = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", PolicyFile(WeeklyPolicy), "--seed-type", "nixos",
            "--at", "2026-11-29T06:00:00.0000001Z"));
        Assert.Null(closed["highest"]);
        Assert.Equal("2026-11-30T04:00:00Z", (string?)closed["next_change"]);
    }

    [Fact]
    public void A_wall_clock_at_skipped_by_dst_means_the_first_instant_after_the_gap()
    {
        // A one-tick window at 03:00 New York time: 02:30 does not exist on 2026-03-08 and becomes 03:00 EDT.
        var policy = PolicyFile("""{"tick": {"actions": ["activate"], "window": {"time_start": "03:00", "time_end": "03:00"}}}""");
        var json = SingleJsonObject(CliRunner.InProcess("policy", "eval", "--policy", policy, "--seed-type", "nixos",
            "--at", "2026-03-08T02:30", "--timezone", "America/New_York"));
        Assert.Equal("activate", (string?)json["highest"]);
        Assert.Equal("2026-03-08T07:00:00.0000001Z", (string?)json["next_change"]);
    }

    [Fact]
    public void List_form_problems_name_the_rule_by_position()
    {
        var result = CliRunner.InProcess("policy", "eval", "--policy", PolicyFile("""[{"actions": ["stage"]}, {"actions": ["stage"], "window": {"time_start": "09:00:00", "time_end": "10:00"}}]"""),
            "--seed-type", "nixos", "--at", "2026-11-30T05:00:00Z");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: policy.rule-2.window.time_start: expected HH:MM, got \"09:00:00\"", result.Stderr);
    }
}
