using System.Collections.Immutable;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;

namespace Sower.Messages.Tests;

public class LabelSelectorTests
{
    private static readonly ImmutableDictionary<string, string> Web = Labels(("role", "web"), ("zone", "eu-1"), ("canary", ""));

    private static ImmutableDictionary<string, string> Labels(params (string Key, string Value)[] pairs) =>
        pairs.ToImmutableDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static LabelSelector Parse(string text)
    {
        var parsed = LabelSelector.Parse(text);
        Assert.True(parsed.Ok, string.Join("; ", parsed.Problems));
        return parsed.Value!;
    }

    [Theory]
    [InlineData("role=web", true)]
    [InlineData("role==web", true)]
    [InlineData("role=web,zone=eu-1", true)]
    [InlineData(" role = web , zone = eu-1 ", true)]
    [InlineData("role=db", false)]
    [InlineData("role=web,zone=us-1", false)]
    [InlineData("role!=db", true)]
    [InlineData("role!=web", false)]
    [InlineData("missing!=x", true)]
    [InlineData("canary", true)]
    [InlineData("canary=", true)]
    [InlineData("missing", false)]
    [InlineData("!missing", true)]
    [InlineData("!canary", false)]
    [InlineData("example.com/team=web", false)]
    public void A_selector_matches_when_every_requirement_holds(string selector, bool matches) =>
        Assert.Equal(matches, Parse(selector).Matches(Web));

    [Fact]
    public void Keys_and_values_compare_case_sensitively() => Assert.False(Parse("Role=web").Matches(Web));

    [Fact]
    public void The_canonical_text_parses_back_to_the_same_selector()
    {
        var selector = Parse(" role = web ,zone!=eu-1, canary ,!legacy,a.b/c==d");
        Assert.Equal("role=web,zone!=eu-1,canary,!legacy,a.b/c=d", selector.ToString());
        Assert.Equal(selector, Parse(selector.ToString()));
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("   ", "must not be empty")]
    [InlineData("role=web,", "empty requirement")]
    [InlineData(",role=web", "empty requirement")]
    [InlineData("role=web,,zone=eu", "empty requirement")]
    [InlineData("=web", "a key must not be empty")]
    [InlineData("!=web", "a key must not be empty")]
    [InlineData("role=a=b", "only one operator")]
    [InlineData("role!=a!=b", "only one operator")]
    [InlineData("role=we b", "may contain only")]
    [InlineData("ro le=web", "may contain only")]
    [InlineData("role=-web", "begin and end")]
    [InlineData("-role=web", "begin and end")]
    [InlineData("!", "a key must not be empty")]
    [InlineData("!!x", "may contain only")]
    [InlineData("/role=web", "prefix before '/' must not be empty")]
    [InlineData("Example.COM/role=web", "DNS subdomain")]
    [InlineData("a/b/c=d", "may contain only")]
    [InlineData("role=web;rm -rf /", "may contain only")]
    [InlineData("role in (web,db)", "may contain only")]
    [InlineData("ключ=значение", "may contain only")]
    [InlineData("role=web\u0000", "may contain only")]
    [InlineData("role=\u202eweb", "may contain only")]
    public void Malformed_selectors_are_refused_with_a_message_that_says_why(string text, string expected)
    {
        var parsed = LabelSelector.Parse(text, "label_selector");
        Assert.False(parsed.Ok);
        Assert.Null(parsed.Value);
        Assert.Contains(parsed.Problems, p => p.Path == "label_selector" && p.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_null_selector_is_an_error_not_an_exception() => Assert.False(LabelSelector.Parse(null).Ok);

    [Fact]
    public void Overlong_selectors_and_too_many_requirements_are_refused_before_any_other_work()
    {
        Assert.Contains("at most 1024 characters", LabelSelector.Parse(new string('a', 1025)).Problems.Single().Message);
        Assert.Contains("at most 32 requirements", LabelSelector.Parse(string.Join(',', Enumerable.Range(0, 33).Select(i => $"k{i}"))).Problems.Single().Message);
        Assert.True(LabelSelector.Parse(string.Join(',', Enumerable.Range(0, 32).Select(i => $"k{i}"))).Ok);
        Assert.Contains("at most 63 characters", LabelSelector.Parse("k=" + new string('v', 64)).Problems.Single().Message);
        Assert.True(LabelSelector.Parse("k=" + new string('v', 63)).Ok);
    }

    [Fact]
    public void Error_messages_escape_control_characters_and_cut_long_input()
    {
        var problem = LabelSelector.Parse("x=\u001b[31mred," + new string('y', 300) + "=1").Problems;
        Assert.All(problem, p => Assert.DoesNotContain('\u001b', p.Message));
        Assert.All(problem, p => Assert.True(p.Message.Length < 300, p.Message));
    }

    [Fact]
    public void Every_problem_is_reported_at_once() =>
        Assert.Equal(2, LabelSelector.Parse("a=-x,b=ok,c d").Problems.Length);

    [Fact]
    public void The_everything_selector_matches_a_garden_without_labels() =>
        Assert.True(LabelSelector.Everything.Matches(GardenLabels.None));
}

public class GardenLabelsTests
{
    private static Parsed<ImmutableDictionary<string, string>> Validate(params (string Key, string? Value)[] pairs) =>
        GardenLabels.Validate(pairs.Select(p => KeyValuePair.Create(p.Key, p.Value)));

    [Fact]
    public void Valid_labels_are_accepted()
    {
        var parsed = Validate(("role", "web"), ("zone", "eu-1"), ("sower.example.org/tier", "A_1.b"), ("empty", ""));
        Assert.True(parsed.Ok);
        Assert.Equal(4, parsed.Value!.Count);
    }

    [Theory]
    [InlineData("", "x", "must not be empty")]
    [InlineData("role", "web server", "may contain only")]
    [InlineData("ROLE/x", "x", "DNS subdomain")]
    [InlineData("role", "-web", "begin and end")]
    public void Invalid_labels_are_refused_with_the_key_in_the_path_or_message(string key, string value, string expected)
    {
        var parsed = Validate((key, value));
        Assert.False(parsed.Ok);
        Assert.Contains(parsed.Problems, p => p.Path.StartsWith("labels", StringComparison.Ordinal) && p.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_null_value_is_refused() =>
        Assert.Equal("labels.role", Validate(("role", null)).Problems.Single().Path);

    [Fact]
    public void At_most_32_labels()
    {
        Assert.True(Validate([.. Enumerable.Range(0, 32).Select(i => ($"k{i}", (string?)"v"))]).Ok);
        Assert.Contains("at most 32 labels", Validate([.. Enumerable.Range(0, 33).Select(i => ($"k{i}", (string?)"v"))]).Problems.Single().Message);
    }

    [Fact]
    public void Server_side_labels_win_over_the_gardens_own()
    {
        var own = Validate(("role", "web"), ("zone", "eu-1")).Value;
        var admin = Validate(("role", "canary"), ("owner", "ops")).Value;
        var effective = GardenLabels.Effective(own, admin);
        Assert.Equal("canary", effective["role"]);
        Assert.Equal("eu-1", effective["zone"]);
        Assert.Equal("ops", effective["owner"]);
    }
}
