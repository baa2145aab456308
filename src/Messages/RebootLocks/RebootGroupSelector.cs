using System.Collections.Immutable;

namespace Sower.Messages.RebootLocks;

/// <summary>
/// STOPGAP until the <c>waves</c> branch's LabelSelector lands (the coordinator unifies them at merge): the minimal
/// selector the reboot groups need. <c>key=value[,key=value…]</c>, every term must match a garden label exactly.
/// Until gardens carry labels, every garden has the label <c>name</c> (its name).
/// </summary>
public sealed record RebootGroupSelector(ImmutableArray<KeyValuePair<string, string>> Terms)
{
    public const int MaxLength = 500;

    public static bool TryParse(string? text, out RebootGroupSelector selector, out string error)
    {
        selector = new RebootGroupSelector([]);
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "required: a selector such as role=web,zone=eu-1"; return false; }
        if (text.Length > MaxLength) { error = $"at most {MaxLength} characters"; return false; }
        var terms = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            var eq = term.IndexOf('=');
            if (eq <= 0 || eq == term.Length - 1 || term.IndexOf('=', eq + 1) >= 0)
            {
                error = $"\"{term}\" is not key=value (selectors look like role=web,zone=eu-1)";
                return false;
            }
            var key = term[..eq].Trim();
            var value = term[(eq + 1)..].Trim();
            if (!IsToken(key) || !IsToken(value))
            {
                error = $"\"{term}\": keys and values are letters, digits, '.', '-', '_' and '/'";
                return false;
            }
            terms.Add(KeyValuePair.Create(key, value));
        }
        selector = new RebootGroupSelector(terms.ToImmutable());
        return true;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) =>
        Terms.All(t => labels.TryGetValue(t.Key, out var v) && string.Equals(v, t.Value, StringComparison.Ordinal));

    public override string ToString() => string.Join(",", Terms.Select(t => $"{t.Key}={t.Value}"));

    private static bool IsToken(string s) =>
        s.Length is > 0 and <= 100 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/');
}
