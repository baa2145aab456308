using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

public class RuleParsingTests
{
    [Theory]
    [InlineData("git_branch=production", "git_branch", "production")]
    [InlineData("a=b=c", "a", "b=c")]
    [InlineData("k==", "k", "=")]
    [InlineData(" key = value ", " key ", " value ")]
    [InlineData("k=v ", "k", "v ")]
    [InlineData("K=V", "K", "V")]
    [InlineData("ключ=значение", "ключ", "значение")]
    [InlineData("a=\t", "a", "\t")]
    public void String_form_splits_at_the_first_equals_sign_and_trims_nothing(string text, string key, string value)
    {
        Assert.True(Rules.TryParse(text, out var rule, out var error));
        Assert.Null(error);
        Assert.Equal(new Rule(key, "eq", value), rule);
    }

    [Theory]
    [InlineData("")]
    [InlineData("novalue")]
    [InlineData("=value")]
    [InlineData("key=")]
    [InlineData("=")]
    [InlineData("==")]
    [InlineData(" ")]
    public void Malformed_string_rules_fail_with_the_exact_message(string text)
    {
        Assert.False(Rules.TryParse(text, out var rule, out var error));
        Assert.Null(rule);
        Assert.Equal("Invalid rule format, expected key=value", error);
    }

    [Fact]
    public void A_null_string_is_a_format_error()
    {
        Assert.False(Rules.TryParse(null, out _, out var error));
        Assert.Equal(Rules.FormatError, error);
    }

    [Fact]
    public void The_raising_variant_throws_an_argument_exception_with_the_same_message()
    {
        var e = Assert.Throws<ArgumentException>(() => Rules.ParseOrThrow("nope"));
        Assert.Equal("Invalid rule format, expected key=value", e.Message);
        Assert.Equal(Rule.Equal("a", "b"), Rules.ParseOrThrow("a=b"));
    }

    [Theory]
    [InlineData("""{"key":"system","op":"eq","value":"x86_64-linux"}""", "system", "x86_64-linux")]
    [InlineData("""{"key":"flag","op":"eq","value":""}""", "flag", "")]
    [InlineData("""{"value":"v","op":"eq","key":"k","extra":1}""", "k", "v")]
    public void Map_form_accepts_valid_rules_including_an_empty_value(string json, string key, string value)
    {
        Assert.True(Rules.TryParseMap(JsonNode.Parse(json), out var rule, out var error), error);
        Assert.Equal(Rule.Equal(key, value), rule);
    }

    [Theory]
    [InlineData("""{"op":"eq","value":"v"}""", "Invalid rule: \"key\" is required")]
    [InlineData("""{"key":"","op":"eq","value":"v"}""", "Invalid rule: \"key\" is required")]
    [InlineData("""{"key":null,"op":"eq","value":"v"}""", "Invalid rule: \"key\" is required")]
    [InlineData("""{"key":5,"op":"eq","value":"v"}""", "Invalid rule: \"key\" is required")]
    [InlineData("""{"key":"k","value":"v"}""", "Invalid rule: \"op\" is required")]
    [InlineData("""{"key":"k","op":null,"value":"v"}""", "Invalid rule: \"op\" is required")]
    [InlineData("""{"key":"k","op":"eq"}""", "Invalid rule: \"value\" is required")]
    [InlineData("""{"key":"k","op":"eq","value":null}""", "Invalid rule: \"value\" is required")]
    [InlineData("""{"key":"k","op":"eq","value":3}""", "Invalid rule: \"value\" is required")]
    [InlineData("""{"key":"k","op":"ne","value":"v"}""", "Invalid rule: unsupported op \"ne\", only \"eq\" is supported")]
    [InlineData("""{"key":"k","op":"EQ","value":"v"}""", "Invalid rule: unsupported op \"EQ\", only \"eq\" is supported")]
    [InlineData("""{"key":"k","op":"","value":"v"}""", "Invalid rule: unsupported op \"\", only \"eq\" is supported")]
    [InlineData("""{}""", "Invalid rule: \"key\" is required")]
    public void Map_form_errors_use_the_exact_messages(string json, string message)
    {
        Assert.False(Rules.TryParseMap(JsonNode.Parse(json), out var rule, out var error));
        Assert.Null(rule);
        Assert.Equal(message, error);
    }

    [Fact]
    public void Lists_mix_both_forms_and_keep_their_order()
    {
        var list = JsonNode.Parse("""["b=2", {"key":"a","op":"eq","value":"1"}, "b=3"]""");
        Assert.True(Rules.TryParseList(list, out var rules, out var error), error);
        Assert.Equal([Rule.Equal("b", "2"), Rule.Equal("a", "1"), Rule.Equal("b", "3")], rules.ToArray());
    }

    [Fact]
    public void An_empty_or_null_list_is_an_empty_rule_list()
    {
        Assert.True(Rules.TryParseList(new JsonArray(), out var rules, out _));
        Assert.Empty(rules);
        Assert.True(Rules.TryParseList(null, out rules, out _));
        Assert.Empty(rules);
    }

    [Theory]
    [InlineData("""["a=b", "c=d", "bad"]""", "Rule 3: Invalid rule format, expected key=value")]
    [InlineData("""["bad", "worse"]""", "Rule 1: Invalid rule format, expected key=value")]
    [InlineData("""["a=b", {"key":"k","op":"in","value":"v"}]""", "Rule 2: Invalid rule: unsupported op \"in\", only \"eq\" is supported")]
    [InlineData("""[{"key":"k","op":"eq"}]""", "Rule 1: Invalid rule: \"value\" is required")]
    [InlineData("""["a=b", 7]""", "Rule 2: Invalid rule format, expected key=value")]
    [InlineData("""["a=b", null]""", "Rule 2: Invalid rule format, expected key=value")]
    [InlineData("""[["a=b"]]""", "Rule 1: Invalid rule format, expected key=value")]
    public void A_list_stops_at_the_first_bad_element_and_names_its_position(string json, string message)
    {
        Assert.False(Rules.TryParseList(JsonNode.Parse(json), out _, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void A_list_that_is_not_a_list_is_rejected()
    {
        Assert.False(Rules.TryParseList(JsonNode.Parse("\"a=b\""), out _, out var error));
        Assert.Equal(Rules.NotAList, error);
    }

    [Fact]
    public void Printing_uses_key_equals_value_and_brackets_for_lists()
    {
        Assert.Equal("a=b=c", Rule.Equal("a", "b=c").ToString());
        Assert.Equal("k in v", new Rule("k", "in", "v").ToString());
        Assert.Equal("[]", Rules.Print([]));
        Assert.Equal("[a=1, b=]", Rules.Print([Rule.Equal("a", "1"), Rule.Equal("b", "")]));
        Assert.Equal("key=value", new Tag("key", "value").ToString());
    }

    [Fact]
    public void Map_form_json_round_trips()
    {
        var rules = new[] { Rule.Equal("a", "1=2"), Rule.Equal("empty", "") };
        Assert.True(Rules.TryParseList(Rules.ToJson(rules), out var back, out _));
        Assert.Equal(rules, back);
    }
}

public class RuleMatchingTests
{
    private static readonly Tag[] Tags = [new("git_branch", "production"), new("system", "x86_64-linux"), new("role", "web"), new("role", "db"), new("flag", "")];

    [Fact]
    public void An_empty_rule_list_matches_every_seed() => Assert.True(Rules.Matches(Tags, []));

    [Fact]
    public void Every_rule_must_equal_some_tag()
    {
        Assert.True(Rules.Matches(Tags, [Rule.Equal("git_branch", "production"), Rule.Equal("system", "x86_64-linux")]));
        Assert.False(Rules.Matches(Tags, [Rule.Equal("git_branch", "production"), Rule.Equal("system", "aarch64-linux")]));
    }

    [Fact]
    public void Two_rules_with_one_key_require_both_values()
    {
        Assert.True(Rules.Matches(Tags, [Rule.Equal("role", "web"), Rule.Equal("role", "db")]));
        Assert.False(Rules.Matches([new Tag("role", "web")], [Rule.Equal("role", "web"), Rule.Equal("role", "db")]));
    }

    [Theory]
    [InlineData("Git_branch", "production")]
    [InlineData("git_branch", "Production")]
    [InlineData("git_branch", "production ")]
    [InlineData("git_branch ", "production")]
    [InlineData("git", "production")]
    [InlineData("git_branch", "prod")]
    public void Matching_is_ordinal_and_exact(string key, string value) =>
        Assert.False(Rules.Matches(Tags, [Rule.Equal(key, value)]));

    [Fact]
    public void An_empty_value_rule_matches_only_an_empty_tag_value()
    {
        Assert.True(Rules.Matches(Tags, [Rule.Equal("flag", "")]));
        Assert.False(Rules.Matches([new Tag("flag", "x")], [Rule.Equal("flag", "")]));
    }

    [Fact]
    public void Tags_the_rules_do_not_mention_are_irrelevant() =>
        Assert.True(Rules.Matches(Tags, [Rule.Equal("role", "db")]));

    [Fact]
    public void A_non_eq_rule_never_matches() =>
        Assert.False(Rules.Matches(Tags, [new Rule("role", "ne", "db")]));

    [Fact]
    public void A_dirty_build_without_git_branch_never_matches_a_branch_rule() =>
        Assert.False(Rules.Matches([new Tag("git_dirty", "true"), new Tag("git_rev", "abc-dirty")], [Rule.Equal("git_branch", "production")]));

    [Fact]
    public void Seed_matching_needs_name_type_rules_and_not_retired()
    {
        Rule[] rules = [Rule.Equal("role", "web")];
        Assert.True(SeedMatching.Matches("web01", SeedType.NixOS, Tags, false, "web01", SeedType.NixOS, rules));
        Assert.False(SeedMatching.Matches("web01", SeedType.NixOS, Tags, true, "web01", SeedType.NixOS, rules));
        Assert.False(SeedMatching.Matches("Web01", SeedType.NixOS, Tags, false, "web01", SeedType.NixOS, rules));
        Assert.False(SeedMatching.Matches("web01", SeedType.HomeManager, Tags, false, "web01", SeedType.NixOS, rules));
        Assert.False(SeedMatching.Matches("web01", SeedType.NixOS, Tags, false, "web01", SeedType.NixOS, [Rule.Equal("role", "cache")]));
        Assert.True(SeedMatching.Matches("web01", SeedType.NixOS, [], false, "web01", SeedType.NixOS, []));
    }
}
