using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sower.Messages.Domain;

/// <summary>One tag condition of a subscription (REFERENCE §3). Only the <c>eq</c> operator exists.</summary>
public sealed record Rule(string Key, string Op, string Value)
{
    public const string Eq = "eq";

    public static Rule Equal(string key, string value) => new(key, Eq, value);

    public override string ToString() => Op == Eq ? $"{Key}={Value}" : $"{Key} {Op} {Value}";
}

/// <summary>Parsing, printing and matching of subscription rules, with the exact error texts of REFERENCE §3.</summary>
public static class Rules
{
    public const string FormatError = "Invalid rule format, expected key=value";
    public const string KeyRequired = "Invalid rule: \"key\" is required";
    public const string OpRequired = "Invalid rule: \"op\" is required";
    public const string ValueRequired = "Invalid rule: \"value\" is required";
    public const string NotAList = "Invalid rules: expected a list of rules";

    public static string UnsupportedOp(string op) => $"Invalid rule: unsupported op \"{op}\", only \"eq\" is supported";

    /// <summary>The string form: split at the first '='; neither side may be empty; nothing is trimmed.</summary>
    public static bool TryParse(string? text, out Rule? rule, out string? error)
    {
        rule = null;
        error = FormatError;
        if (text is null) return false;
        var at = text.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0 || at == text.Length - 1) return false;
        rule = new Rule(text[..at], Rule.Eq, text[(at + 1)..]);
        error = null;
        return true;
    }

    /// <summary>The "raise" variant used by config loaders: throws <see cref="ArgumentException"/> with the exact message.</summary>
    public static Rule ParseOrThrow(string? text) =>
        TryParse(text, out var rule, out var error) ? rule! : throw new ArgumentException(error);

    /// <summary>The map form <c>{"key", "op", "value"}</c>: all three required strings, key non-empty, op exactly "eq".</summary>
    public static bool TryParseMap(JsonNode? node, out Rule? rule, out string? error)
    {
        rule = null;
        if (node is not JsonObject map)
        {
            error = FormatError;
            return false;
        }
        string? key, op, value;
        try
        {
            key = StringOf(map, "key");
            op = StringOf(map, "op");
            value = StringOf(map, "value");
        }
        catch (ArgumentException)
        {
            // A key given twice: JsonObject reports it on first access.
            error = FormatError;
            return false;
        }
        if (string.IsNullOrEmpty(key)) { error = KeyRequired; return false; }
        if (op is null) { error = OpRequired; return false; }
        if (value is null) { error = ValueRequired; return false; }
        if (op != Rule.Eq) { error = UnsupportedOp(op); return false; }
        rule = new Rule(key, Rule.Eq, value);
        error = null;
        return true;
    }

    /// <summary>One element of a rule list: a string (string form) or an object (map form).</summary>
    public static bool TryParseElement(JsonNode? node, out Rule? rule, out string? error)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return TryParse(value.GetValue<string>(), out rule, out error);
        }
        return TryParseMap(node, out rule, out error);
    }

    /// <summary>A list whose elements are strings or maps. Stops at the first bad element: <c>Rule N: message</c> (N 1-based).
    /// A null list is an empty list.</summary>
    public static bool TryParseList(JsonNode? list, out ImmutableArray<Rule> rules, out string? error)
    {
        rules = ImmutableArray<Rule>.Empty;
        if (list is null)
        {
            error = null;
            return true;
        }
        if (list is not JsonArray array)
        {
            error = NotAList;
            return false;
        }
        var builder = ImmutableArray.CreateBuilder<Rule>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (!TryParseElement(array[i], out var rule, out var elementError))
            {
                error = $"Rule {i + 1}: {elementError}";
                return false;
            }
            builder.Add(rule!);
        }
        rules = builder.MoveToImmutable();
        error = null;
        return true;
    }

    /// <summary>True iff every rule equals some tag (ordinal, no trimming). An empty rule list matches everything;
    /// a rule with an operator other than eq never matches.</summary>
    public static bool Matches(IEnumerable<Tag> tags, IEnumerable<Rule> rules)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(rules);
        var tagList = tags as IReadOnlyCollection<Tag> ?? tags.ToList();
        foreach (var rule in rules)
        {
            if (rule.Op != Rule.Eq) return false;
            var found = false;
            foreach (var tag in tagList)
            {
                if (string.Equals(tag.Key, rule.Key, StringComparison.Ordinal) &&
                    string.Equals(tag.Value, rule.Value, StringComparison.Ordinal))
                {
                    found = true;
                    break;
                }
            }
            if (!found) return false;
        }
        return true;
    }

    /// <summary>Prints a list element by element, e.g. <c>[git_branch=production, system=x86_64-linux]</c>; empty is <c>[]</c>.</summary>
    public static string Print(IEnumerable<Rule> rules)
    {
        var text = new StringBuilder("[");
        var first = true;
        foreach (var rule in rules)
        {
            if (!first) text.Append(", ");
            text.Append(rule);
            first = false;
        }
        return text.Append(']').ToString();
    }

    /// <summary>The map form used on the wire and in storage.</summary>
    public static JsonObject ToJson(Rule rule) => new() { ["key"] = rule.Key, ["op"] = rule.Op, ["value"] = rule.Value };

    public static JsonArray ToJson(IEnumerable<Rule> rules)
    {
        var array = new JsonArray();
        foreach (var rule in rules) array.Add(ToJson(rule));
        return array;
    }

    private static string? StringOf(JsonObject map, string name) =>
        map.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : null;
}

/// <summary>Whether a seed satisfies a subscription (REFERENCE §2): same name, same type, every rule met, not retired.</summary>
public static class SeedMatching
{
    public static bool Matches(string seedName, SeedType seedType, IEnumerable<Tag> tags, bool retired,
                               string subscriptionSeedName, SeedType subscriptionSeedType, IEnumerable<Rule> rules) =>
        !retired &&
        string.Equals(seedName, subscriptionSeedName, StringComparison.Ordinal) &&
        seedType == subscriptionSeedType &&
        Rules.Matches(tags, rules);
}
