namespace Sower.Nix.Tests;

/// <summary><c>--check-config FILE</c> on the real programs: the loader a start uses; exit 0, or 78 with every problem on
/// stderr. Secret files (<c>*_file</c>) are not read there: the Nix build that runs the check has none.</summary>
public sealed class CheckConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-check").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string json)
    {
        var file = Path.Combine(_dir, name);
        File.WriteAllText(file, json);
        return file;
    }

    private static (int Code, string Stdout, string Stderr) Check(string program, string file, IDictionary<string, string?>? environment = null) =>
        ModuleEvaluation.Run(ModuleEvaluation.ProgramNamed(program), ["--check-config", file], environment);

    [Theory]
    [InlineData("sower-server", """{"urls":["http://0.0.0.0:7150"],"database":{"provider":"postgresql","connection_string_file":"/run/credentials/sower-server.service/database"}}""")]
    [InlineData("sower-garden", """{"endpoint":"https://sower.example.org","access_token_file":"/run/credentials/sower-garden.service/access_token","subscriptions":{"web":{"seed_type":"nixos"}}}""")]
    [InlineData("sower-activator", """{"allowed_groups":["a-group-this-host-does-not-have"],"timeout_seconds":600}""")]
    public void A_valid_file_exits_0_without_reading_secret_files_or_looking_up_groups(string program, string json)
    {
        var (code, stdout, stderr) = Check(program, Write(program + ".json", json));
        Assert.True(code == 0, stderr);
        Assert.Contains("valid", stdout);
        Assert.Equal("", stderr);
    }

    [Theory]
    [InlineData("sower-server", """{"stale_after_secs":5,"urls":["localhost"],"database":{"provider":"mysql"}}""",
        new[] { "stale_after_secs: unknown setting", "urls[0]:", "database.provider:" })]
    [InlineData("sower-garden", """{"endpoint":"ftp://x","acess_token":"t","parallelism":99,"subscriptions":{"web":{"seed_type":"nixos","schedule":"bad cron"}}}""",
        new[] { "endpoint:", "acess_token: unknown setting", "parallelism:", "subscriptions.web.schedule:" })]
    [InlineData("sower-activator", """{"alowed_groups":["wheel"],"timeout_seconds":0,"gcroots_dir":"relative"}""",
        new[] { "unknown key: alowed_groups", "timeout_seconds", "gcroots_dir" })]
    public void An_invalid_file_exits_78_with_every_problem_on_stderr(string program, string json, string[] problems)
    {
        var (code, stdout, stderr) = Check(program, Write(program + ".json", json));
        Assert.Equal(78, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("Configuration validation failed", l));
        foreach (var problem in problems) Assert.Contains(lines, l => l.Contains(problem, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("sower-server")]
    [InlineData("sower-garden")]
    [InlineData("sower-activator")]
    public void A_missing_or_unparsable_file_exits_78(string program)
    {
        Assert.Equal(78, Check(program, Path.Combine(_dir, "missing.json")).Code);
        Assert.Equal(78, Check(program, Write(program + "-bad.json", "{ not json")).Code);
        Assert.Equal(78, Check(program, Write(program + "-list.json", "[]")).Code);
    }

    [Fact]
    public void The_garden_checks_the_file_as_written_not_what_the_environment_would_add()
    {
        var file = Write("no-endpoint.json", """{"subscriptions":{}}""");
        var (code, _, stderr) = Check("sower-garden", file, new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = "https://sower.example.org" });
        Assert.Equal(78, code);
        Assert.Contains("endpoint: is required", stderr);
    }

    [Fact]
    public void A_secret_file_the_check_does_not_read_is_still_required_at_start()
    {
        var file = Write("server.json", $$$"""{"data_dir":"{{{_dir}}}/data","database":{"provider":"postgresql","connection_string_file":"{{{_dir}}}/absent"}}""");
        Assert.Equal(0, Check("sower-server", file).Code);
        var (code, _, stderr) = ModuleEvaluation.Run(ModuleEvaluation.ProgramNamed("sower-server"), ["--config", file]);
        Assert.Equal(78, code);
        Assert.Contains("database.connection_string_file: cannot read", stderr);
    }

    [Theory]
    [InlineData("sower-server")]
    [InlineData("sower-garden")]
    public void Check_config_without_a_file_is_a_usage_error(string program)
    {
        var (code, _, stderr) = ModuleEvaluation.Run(ModuleEvaluation.ProgramNamed(program), ["--check-config"]);
        Assert.Equal(64, code);
        Assert.Contains("usage", stderr);
    }
}
