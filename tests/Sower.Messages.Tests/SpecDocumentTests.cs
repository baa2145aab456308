using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

/// <summary>
/// Reads docs/spec-deployment-policy.org and checks every example in it against the code: named JSON policy blocks with
/// their "-cases" tables, "invalid-..." blocks with their "-problems" lists, and the "rule-strings" table.
/// </summary>
public class SpecDocumentTests
{
    private static readonly OrgDocument Spec = OrgDocument.Load(Path.Combine(AppContext.BaseDirectory, "spec-deployment-policy.org"));

    private static readonly OffsetDateTimePattern At = OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss;FFFFFFFFFo<G>");

    public static TheoryData<string> PolicyExamples() =>
        [.. Spec.SourceBlocks.Keys.Where(name => !name.StartsWith("invalid-", StringComparison.Ordinal))];

    public static TheoryData<string> InvalidExamples() =>
        [.. Spec.SourceBlocks.Keys.Where(name => name.StartsWith("invalid-", StringComparison.Ordinal))];

    [Fact]
    public void The_document_has_examples_of_each_kind()
    {
        Assert.True(PolicyExamples().Count >= 5);
        Assert.True(InvalidExamples().Count >= 2);
        Assert.True(Spec.Tables.ContainsKey("rule-strings"));
        Assert.Contains("policy.maintenance.window.time_start: expected HH:MM, got \"9:00\"", Spec.Text);
    }

    [Theory]
    [MemberData(nameof(PolicyExamples))]
    public void Policy_examples_decide_as_documented(string name)
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse(Spec.SourceBlocks[name]));
        Assert.True(parsed.Ok, string.Join("\n", parsed.Problems));
        Assert.True(Spec.Tables.TryGetValue($"{name}-cases", out var cases), $"no table {name}-cases");
        Assert.NotEmpty(cases);
        foreach (var row in cases)
        {
            var context = $"{name}: {string.Join(" | ", row.Values)}";
            Trigger? trigger = row["trigger"] == "-" ? null : ParseTrigger(row["trigger"]);
            Assert.True(SeedTypes.TryParse(row["seed type"], out var seedType), context);
            var zone = row["zone"] == "-" ? null : DateTimeZoneProviders.Tzdb[row["zone"]];
            var at = At.Parse(row["at"]).GetValueOrThrow().ToInstant();

            var explanation = PolicyExplainer.Explain(parsed.Value!, trigger, seedType, zone, at);

            Assert.True(Dash(row["decision"]) == explanation.Decision?.Kind.ToWire(), $"{context}: decision {explanation.Decision}");
            Assert.True(Dash(row["action"]) == explanation.Decision?.Action?.ToWire(), $"{context}: action {explanation.Decision}");
            Assert.True(Dash(row["highest"]) == explanation.Highest?.ToWire(), $"{context}: highest {explanation.Highest}");
            var matched = row["matched"] == "-" ? [] : row["matched"].Split(',', StringSplitOptions.TrimEntries);
            Assert.True(matched.SequenceEqual(explanation.MatchedRules), $"{context}: matched {string.Join(",", explanation.MatchedRules)}");
            Assert.True((row["realtime"] == "yes") == explanation.Realtime, $"{context}: realtime {explanation.Realtime}");
            var next = explanation.NextChange is { } n ? InstantPattern.ExtendedIso.Format(n) : null;
            Assert.True(Dash(row["next change"]) == next, $"{context}: next change {next}");
        }
    }

    [Theory]
    [MemberData(nameof(InvalidExamples))]
    public void Invalid_examples_are_rejected_with_the_documented_problems(string name)
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse(Spec.SourceBlocks[name]));
        Assert.True(Spec.ExampleBlocks.TryGetValue($"{name}-problems", out var expected), $"no block {name}-problems");
        Assert.Equal(expected.Split('\n', StringSplitOptions.RemoveEmptyEntries), parsed.Problems.Select(p => p.ToString()).ToArray());
    }

    [Fact]
    public void Rule_string_examples_parse_as_documented()
    {
        foreach (var row in Spec.Tables["rule-strings"])
        {
            var ok = Rules.TryParse(Verbatim(row["input"]), out var rule, out var error);
            if (row["error"].Length > 0)
            {
                Assert.False(ok, row["input"]);
                Assert.Equal(row["error"], error);
            }
            else
            {
                Assert.True(ok, row["input"]);
                Assert.Equal(Rule.Equal(Verbatim(row["key"]), Verbatim(row["value"])), rule);
            }
        }
    }

    private static string? Dash(string cell) => cell == "-" ? null : cell;

    private static string Verbatim(string cell) => cell.Length >= 2 && cell[0] == '~' && cell[^1] == '~' ? cell[1..^1] : cell;

    private static Trigger ParseTrigger(string text)
    {
        Assert.True(Triggers.TryParse(text, out var trigger), text);
        return trigger;
    }
}

/// <summary>The small part of Org syntax the specification uses: #+NAME: followed by a src block, an example block or a table.</summary>
internal sealed class OrgDocument
{
    public required string Text { get; init; }

    public Dictionary<string, string> SourceBlocks { get; } = [];

    public Dictionary<string, string> ExampleBlocks { get; } = [];

    public Dictionary<string, List<Dictionary<string, string>>> Tables { get; } = [];

    public static OrgDocument Load(string path)
    {
        var text = File.ReadAllText(path);
        var document = new OrgDocument { Text = text };
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("#+NAME:", StringComparison.OrdinalIgnoreCase)) continue;
            var name = lines[i]["#+NAME:".Length..].Trim();
            var next = i + 1 < lines.Length ? lines[i + 1].Trim() : "";
            if (next.StartsWith("#+BEGIN_SRC", StringComparison.OrdinalIgnoreCase))
            {
                document.SourceBlocks.Add(name, Block(lines, i + 2, "#+END_SRC"));
            }
            else if (next.StartsWith("#+BEGIN_EXAMPLE", StringComparison.OrdinalIgnoreCase))
            {
                document.ExampleBlocks.Add(name, Block(lines, i + 2, "#+END_EXAMPLE"));
            }
            else if (next.StartsWith('|'))
            {
                document.Tables.Add(name, Table(lines, i + 1));
            }
        }
        return document;
    }

    private static string Block(string[] lines, int start, string end)
    {
        var body = new List<string>();
        for (var i = start; i < lines.Length && !lines[i].Trim().Equals(end, StringComparison.OrdinalIgnoreCase); i++) body.Add(lines[i]);
        return string.Join('\n', body);
    }

    private static List<Dictionary<string, string>> Table(string[] lines, int start)
    {
        string[]? header = null;
        var rows = new List<Dictionary<string, string>>();
        for (var i = start; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith("|-", StringComparison.Ordinal)) continue;
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (header is null)
            {
                header = cells;
                continue;
            }
            rows.Add(header.Zip(cells).ToDictionary(p => p.First, p => p.Second));
        }
        return rows;
    }
}
