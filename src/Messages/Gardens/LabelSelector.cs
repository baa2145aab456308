using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.Gardens;

/// <summary>How one selector requirement tests a garden's labels.</summary>
public enum LabelOperator
{
    Equals,
    NotEquals,
    Exists,
    NotExists,
}

/// <summary>One requirement of a selector: <c>key=value</c>, <c>key!=value</c>, <c>key</c> or <c>!key</c>.</summary>
public sealed record LabelRequirement(string Key, LabelOperator Operator, string Value) : ISowerSerializable
{
    public bool Matches(IReadOnlyDictionary<string, string> labels) => Operator switch
    {
        LabelOperator.Equals => labels.TryGetValue(Key, out var v) && v == Value,
        // As in Kubernetes: a garden without the key matches key!=value.
        LabelOperator.NotEquals => !labels.TryGetValue(Key, out var v) || v != Value,
        LabelOperator.Exists => labels.ContainsKey(Key),
        LabelOperator.NotExists => !labels.ContainsKey(Key),
        _ => false,
    };

    public override string ToString() => Operator switch
    {
        LabelOperator.Equals => $"{Key}={Value}",
        LabelOperator.NotEquals => $"{Key}!={Value}",
        LabelOperator.Exists => Key,
        _ => "!" + Key,
    };
}

/// <summary>
/// A label selector (issue 14.1): comma-separated requirements that must all hold, e.g. <c>role=web,zone=eu-1</c>,
/// <c>role!=db</c>, <c>canary</c> (the key exists) and <c>!legacy</c> (it does not). The one parser and matcher for
/// every place that names a set of gardens (CLI, API, console, rollout waves, reboot-lock groups); pure and bounded,
/// so a hostile selector costs at most <see cref="MaxLength"/> characters of work and yields a clear error.
/// </summary>
public sealed record LabelSelector(ImmutableArray<LabelRequirement> Requirements) : ISowerSerializable
{
    public const int MaxLength = 1024;
    public const int MaxRequirements = 32;

    /// <summary>Matches every garden (no requirements).</summary>
    public static readonly LabelSelector Everything = new(ImmutableArray<LabelRequirement>.Empty);

    public bool Matches(IReadOnlyDictionary<string, string> labels) => Requirements.IsDefaultOrEmpty || Requirements.All(r => r.Matches(labels));

    /// <summary>The canonical text: requirements in the order given, joined by ','. Parse(ToString()) gives an equal selector.</summary>
    public override string ToString() => Requirements.IsDefaultOrEmpty ? "" : string.Join(',', Requirements);

    public bool Equals(LabelSelector? other) => other is not null && Seq.Equal(Requirements, other.Requirements);

    public override int GetHashCode() => Seq.Hash(Requirements);

    /// <summary>Parses <paramref name="text"/>; every problem is reported against <paramref name="path"/> (a query parameter, a field).</summary>
    public static Parsed<LabelSelector> Parse(string? text, string path = "selector")
    {
        static Parsed<LabelSelector> Fail(string path, string message) => Parsed<LabelSelector>.Failure([new ValidationProblem(path, message)]);

        if (text is null || text.Trim().Length == 0) return Fail(path, "a selector must not be empty (for example role=web,zone=eu-1)");
        if (text.Length > MaxLength) return Fail(path, $"a selector may have at most {MaxLength} characters");
        var parts = text.Split(',');
        if (parts.Length > MaxRequirements) return Fail(path, $"a selector may have at most {MaxRequirements} requirements");
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        var requirements = ImmutableArray.CreateBuilder<LabelRequirement>();
        foreach (var raw in parts)
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                problems.Add(new ValidationProblem(path, "empty requirement (two commas, or a comma at an end)"));
                continue;
            }
            var (requirement, problem) = ParseRequirement(part);
            if (problem is not null) problems.Add(new ValidationProblem(path, $"{GardenLabels.Quote(part)}: {problem}"));
            else requirements.Add(requirement!);
        }
        return problems.Count == 0 ? Parsed<LabelSelector>.Success(new LabelSelector(requirements.ToImmutable())) : Parsed<LabelSelector>.Failure(problems.ToImmutable());
    }

    private static (LabelRequirement? Requirement, string? Problem) ParseRequirement(string part)
    {
        string key, value;
        LabelOperator op;
        var notEquals = part.IndexOf("!=", StringComparison.Ordinal);
        var equals = part.IndexOf('=');
        if (notEquals >= 0 && notEquals < equals)
        {
            (key, value, op) = (part[..notEquals], part[(notEquals + 2)..], LabelOperator.NotEquals);
        }
        else if (equals >= 0)
        {
            var rest = part[(equals + 1)..];
            if (rest.StartsWith('=')) rest = rest[1..];
            (key, value, op) = (part[..equals], rest, LabelOperator.Equals);
        }
        else if (part.StartsWith('!'))
        {
            (key, value, op) = (part[1..], "", LabelOperator.NotExists);
        }
        else
        {
            (key, value, op) = (part, "", LabelOperator.Exists);
        }
        key = key.Trim();
        value = value.Trim();
        if (GardenLabels.KeyProblem(key) is { } keyProblem) return (null, keyProblem);
        if (op is LabelOperator.Equals or LabelOperator.NotEquals)
        {
            if (value.Contains('=') || value.Contains('!')) return (null, "only one operator (=, == or !=) per requirement");
            if (GardenLabels.ValueProblem(value) is { } valueProblem) return (null, valueProblem);
        }
        return (new LabelRequirement(key, op, value), null);
    }
}
