using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

public sealed class PolicyCheckAndCompletionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-policy-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string json)
    {
        var path = Path.Combine(_dir, "client.json");
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_valid_configuration_passes_without_a_server()
    {
        var path = File("""
            {"subscriptions": {"web01": {"seed_type": "nixos", "rules": ["git_branch=production"], "schedule": "30 4 * * *", "timezone": "Europe/Berlin",
              "policy": {"nightly": {"actions": ["stage", "activate"], "triggers": ["scheduled"], "window": {"time_start": "04:00", "time_end": "06:00"}}}}}}
            """);
        var result = CliRunner.InProcess("policy", "check", path);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"{path}: ok (1 subscription(s): web01)", result.Stdout.Trim());
        var json = SowerProcess.JsonLine(CliRunner.InProcess("policy", "check", path, "--json"));
        Assert.True((bool)json["ok"]!);
        Assert.Empty(json["problems"]!.AsArray());
    }

    [Fact]
    public void Every_problem_is_printed_with_its_path_and_exit_1()
    {
        var path = File("""
            {"endpoint": "https://sower.example.org",
             "subscriptions": {"web01": {"seed_type": "nixos", "rules": ["nope"], "schedule": "61 * * * *",
               "policy": {"x": {"actions": ["reboot"], "window": {"time_start": "9:00", "time_end": "06:00"}}}},
                               "hm": {"rules": []}}}
            """);
        var result = CliRunner.InProcess("policy", "check", path, "--json");
        Assert.Equal(1, result.ExitCode);
        var problems = SowerProcess.JsonLine(result)["problems"]!.AsArray().Select(p => $"{p!["path"]}: {p["message"]}").ToList();
        Assert.Contains(problems, p => p.StartsWith("subscriptions.web01.policy.x.actions[0]:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("subscriptions.web01.policy.x.window.time_start:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("subscriptions.web01.rules", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("subscriptions.web01.schedule", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("subscriptions.hm.seed_type", StringComparison.Ordinal));

        var text = CliRunner.InProcess("policy", "check", path);
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("subscriptions.web01.policy.x.window.time_start: expected HH:MM, got \"9:00\"", text.Stdout);
        Assert.StartsWith("error: ", text.Stderr);
    }

    [Fact]
    public void An_unreadable_or_malformed_file_exits_2()
    {
        var missing = CliRunner.InProcess("policy", "check", Path.Combine(_dir, "absent.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal($"error: cannot read {Path.Combine(_dir, "absent.json")}: no such file", missing.Stderr.Trim());
        var malformed = CliRunner.InProcess("policy", "check", File("{\"subscriptions\": "));
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("is not valid JSON", malformed.Stderr);
    }

    [Fact]
    public void The_default_file_follows_the_config_rule()
    {
        var path = File("""{"subscriptions": {}}""");
        var result = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_CONFIG_FILE"] = path }, null, "policy", "check");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith(path + ": ok", result.Stdout);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _sower_complete sower")]
    [InlineData("zsh", "compdef _sower sower")]
    [InlineData("fish", "complete -c sower")]
    public void Completion_scripts_ask_sower_for_suggestions(string shell, string expected)
    {
        var result = SowerProcess.Run(null, null, "completion", shell);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(expected, result.Stdout);
        Assert.Contains("[suggest:", result.Stdout);
    }

    [Fact]
    public void The_suggest_directive_the_scripts_use_completes_commands()
    {
        var result = SowerProcess.Run(null, null, "[suggest:8]", "sower de");
        Assert.Equal(0, result.ExitCode);
        // System.CommandLine suggests every command containing the text; the shell scripts keep the prefix matches.
        var suggestions = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("deploy", suggestions);
        Assert.Contains("deployment", suggestions);
        Assert.DoesNotContain("seed", suggestions);
        Assert.Equal(2, SowerProcess.Run(null, null, "completion", "tcsh").ExitCode);
    }

    [Fact]
    public void Help_works_everywhere()
    {
        foreach (var command in new[] { "seed", "seed submit", "garden deploy", "deployment follow", "token create", "cluster actors", "policy check" })
        {
            var result = SowerProcess.Run(null, null, [.. command.Split(' '), "--help"]);
            Assert.True(result.ExitCode == 0, command);
            Assert.Contains("Usage:", result.Stdout);
        }
    }
}
