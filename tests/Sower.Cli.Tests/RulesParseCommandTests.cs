namespace Sower.Cli.Tests;

public class RulesParseCommandTests
{
    [Fact]
    public void Parses_string_and_map_forms_in_order()
    {
        var result = CliRunner.InProcess("rules", "parse", "git_branch=production", "a=b=c", """{"key":"flag","op":"eq","value":""}""");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"rules":[{"key":"git_branch","op":"eq","value":"production"},{"key":"a","op":"eq","value":"b=c"},{"key":"flag","op":"eq","value":""}]}""",
            result.Stdout.TrimEnd());
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void No_rules_is_an_empty_list()
    {
        var result = CliRunner.InProcess("rules", "parse");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"rules":[]}""", result.Stdout.TrimEnd());
    }

    [Theory]
    [InlineData("novalue", "Invalid rule format, expected key=value")]
    [InlineData("=v", "Invalid rule format, expected key=value")]
    [InlineData("k=", "Invalid rule format, expected key=value")]
    [InlineData("", "Invalid rule format, expected key=value")]
    [InlineData("""{"op":"eq","value":"v"}""", "Invalid rule: \\\"key\\\" is required")]
    [InlineData("""{"key":"k","value":"v"}""", "Invalid rule: \\\"op\\\" is required")]
    [InlineData("""{"key":"k","op":"eq"}""", "Invalid rule: \\\"value\\\" is required")]
    [InlineData("""{"key":"k","op":"ne","value":"v"}""", "Invalid rule: unsupported op \\\"ne\\\", only \\\"eq\\\" is supported")]
    public void A_single_bad_rule_prints_the_exact_message_and_exits_1(string rule, string escapedMessage)
    {
        var result = CliRunner.InProcess("rules", "parse", rule);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($$"""{"error":"{{escapedMessage}}"}""", result.Stdout.TrimEnd());
    }

    [Fact]
    public void Several_rules_name_the_first_bad_one()
    {
        var result = CliRunner.InProcess("rules", "parse", "a=b", "c=d", "bad", "worse");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("""{"error":"Rule 3: Invalid rule format, expected key=value"}""", result.Stdout.TrimEnd());
    }

    [Fact]
    public void Values_keep_spaces_and_unicode_unescaped()
    {
        var result = CliRunner.InProcess("rules", "parse", " k = v ", "ключ=значение", "@at=home", "{x=y");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"rules":[{"key":" k ","op":"eq","value":" v "},{"key":"ключ","op":"eq","value":"значение"},{"key":"@at","op":"eq","value":"home"},{"key":"{x","op":"eq","value":"y"}]}""",
            result.Stdout.TrimEnd());
    }

    [Fact]
    public void A_rule_starting_with_a_dash_follows_a_double_dash()
    {
        var result = CliRunner.InProcess("rules", "parse", "--", "-k=v");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"rules":[{"key":"-k","op":"eq","value":"v"}]}""", result.Stdout.TrimEnd());
    }

    [Fact]
    public void An_unknown_option_is_read_as_a_rule_and_rejected()
    {
        var result = CliRunner.InProcess("rules", "parse", "--strict", "a=b");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("""{"error":"Rule 1: Invalid rule format, expected key=value"}""", result.Stdout.TrimEnd());
    }

    [Fact]
    public void Rules_help_exits_0()
    {
        var result = CliRunner.InProcess("rules", "parse", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("key=value", result.Stdout);
    }

    [Fact]
    public void The_real_program_parses_and_rejects_rules()
    {
        var ok = CliRunner.Process(null, "rules", "parse", "git_branch=production");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("""{"rules":[{"key":"git_branch","op":"eq","value":"production"}]}""", ok.Stdout.TrimEnd());
        var bad = CliRunner.Process(null, "rules", "parse", "a=b", "oops");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("""{"error":"Rule 2: Invalid rule format, expected key=value"}""", bad.Stdout.TrimEnd());
    }

    [Fact]
    public void Without_a_command_sower_exits_2()
    {
        var result = CliRunner.InProcess();
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Run 'sower --help' for usage.", result.Stderr);
    }
}
