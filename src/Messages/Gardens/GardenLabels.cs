using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.Gardens;

/// <summary>
/// Garden labels (issue 14.1): key/value pairs with the syntax of Kubernetes labels. A key is an optional DNS-subdomain
/// prefix and '/', then a name of 1–63 characters ([A-Za-z0-9] at both ends, '-', '_', '.' inside); a value is empty or
/// follows the name rules. At most <see cref="MaxLabels"/> labels, so a garden cannot grow the server's state at will.
/// </summary>
public static class GardenLabels
{
    public const int MaxLabels = 32;
    public const int MaxNameLength = 63;
    public const int MaxPrefixLength = 253;

    /// <summary>The error code when server-side labels would exceed <see cref="MaxLabels"/>.</summary>
    public const string TooManyLabels = "too_many_labels";

    public static readonly ImmutableDictionary<string, string> None = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>The labels a garden carries: the server-side (admin) labels win over the garden's own for the same key.</summary>
    public static ImmutableDictionary<string, string> Effective(ImmutableDictionary<string, string>? own, ImmutableDictionary<string, string>? admin)
    {
        var result = own ?? None;
        foreach (var (key, value) in admin ?? None) result = result.SetItem(key, value);
        return result;
    }

    /// <summary>Every problem of a label set at once; path names where it came from (<c>labels</c> in a config file).</summary>
    public static Parsed<ImmutableDictionary<string, string>> Validate(IEnumerable<KeyValuePair<string, string?>> labels, string path = "labels")
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        var result = None;
        var count = 0;
        foreach (var (key, value) in labels)
        {
            count++;
            if (count > MaxLabels)
            {
                problems.Add(new ValidationProblem(path, $"at most {MaxLabels} labels are allowed"));
                break;
            }
            if (KeyProblem(key) is { } keyProblem)
            {
                problems.Add(new ValidationProblem(path, $"label key {Quote(key)}: {keyProblem}"));
                continue;
            }
            if (value is null)
            {
                problems.Add(new ValidationProblem($"{path}.{key}", "the value must be a string (use \"\" for an empty value)"));
                continue;
            }
            if (ValueProblem(value) is { } valueProblem)
            {
                problems.Add(new ValidationProblem($"{path}.{key}", $"label value {Quote(value)}: {valueProblem}"));
                continue;
            }
            if (result.ContainsKey(key))
            {
                problems.Add(new ValidationProblem(path, $"label key {Quote(key)} appears twice"));
                continue;
            }
            result = result.Add(key, value);
        }
        return problems.Count == 0 ? Parsed<ImmutableDictionary<string, string>>.Success(result) : Parsed<ImmutableDictionary<string, string>>.Failure(problems.ToImmutable());
    }

    /// <summary>Why <paramref name="key"/> is not a label key, or null when it is one.</summary>
    public static string? KeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key)) return "a key must not be empty";
        var slash = key.IndexOf('/');
        var name = key;
        if (slash >= 0)
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0) return "the prefix before '/' must not be empty";
            if (prefix.Length > MaxPrefixLength) return $"the prefix may have at most {MaxPrefixLength} characters";
            foreach (var part in prefix.Split('.'))
            {
                if (part.Length == 0 || !IsLowerAlnum(part[0]) || !IsLowerAlnum(part[^1]) || !part.All(c => IsLowerAlnum(c) || c == '-'))
                {
                    return "the prefix must be a DNS subdomain (lower-case letters, digits, '-' and '.')";
                }
            }
        }
        if (name.Length == 0) return "the name must not be empty";
        return NameProblem(name, "name");
    }

    /// <summary>Why <paramref name="value"/> is not a label value, or null when it is one (the empty value is allowed).</summary>
    public static string? ValueProblem(string value) => value.Length == 0 ? null : NameProblem(value, "value");

    private static string? NameProblem(string name, string what)
    {
        if (name.Length > MaxNameLength) return $"the {what} may have at most {MaxNameLength} characters";
        if (!name.All(c => IsAlnum(c) || c is '-' or '_' or '.')) return $"the {what} may contain only letters, digits, '-', '_' and '.'";
        if (!IsAlnum(name[0]) || !IsAlnum(name[^1])) return $"the {what} must begin and end with a letter or digit";
        return null;
    }

    private static bool IsAlnum(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    private static bool IsLowerAlnum(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    /// <summary>Quotes user input for an error message: control characters escaped, long input cut.</summary>
    internal static string Quote(string? s)
    {
        if (s is null) return "null";
        var cut = s.Length > 80 ? s[..80] + "…" : s;
        var sb = new System.Text.StringBuilder("\"");
        foreach (var c in cut) sb.Append(char.IsControl(c) || c == '"' || c == '\\' ? $"\\u{(int)c:x4}" : c.ToString());
        return sb.Append('"').ToString();
    }
}
