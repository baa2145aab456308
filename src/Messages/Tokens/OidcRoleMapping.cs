using System.Collections.Immutable;

namespace Sower.Messages.Tokens;

/// <summary>
/// Which Sower roles a person signed in through OIDC holds: for each claim (e.g. <c>groups</c>) and each of its values
/// (e.g. <c>sower-admins</c>), the roles it grants (setting <c>auth.oidc_role_mapping</c>). A person's roles are the
/// union over every mapped claim value they carry; a person none of whose values is mapped holds no role and may not
/// sign in. The values that matched are kept with the session (<see cref="Matches"/>, as <c>claim=value</c>), so a
/// session can be re-checked against the mapping in force now (<see cref="RolesFor"/>).
/// </summary>
public sealed record OidcRoleMapping(ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, ImmutableArray<string>>> Claims)
{
    public static readonly OidcRoleMapping Empty = new(ImmutableSortedDictionary.Create<string, ImmutableSortedDictionary<string, ImmutableArray<string>>>(StringComparer.Ordinal));

    public bool IsEmpty => Claims.IsEmpty;

    /// <summary>The <c>claim=value</c> pairs of <paramref name="claims"/> that the mapping names, sorted and distinct.</summary>
    public ImmutableArray<string> Matches(IEnumerable<(string Type, string Value)> claims) =>
        [.. claims.Where(c => Claims.TryGetValue(c.Type, out var values) && values.ContainsKey(c.Value))
            .Select(c => Pair(c.Type, c.Value)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The roles that <paramref name="matches"/> (<c>claim=value</c> pairs) grant under this mapping, sorted
    /// and distinct: a pair the mapping no longer names grants nothing.</summary>
    public ImmutableArray<string> RolesFor(IEnumerable<string> matches)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var match in matches)
        {
            var eq = match.IndexOf('=');
            if (eq <= 0) continue;
            if (Claims.TryGetValue(match[..eq], out var values) && values.TryGetValue(match[(eq + 1)..], out var granted)) roles.UnionWith(granted);
        }
        return [.. roles];
    }

    public static string Pair(string claim, string value) => claim + "=" + value;

    /// <summary>
    /// The use-time rule for a token: any token not minted by a person passes; a personal token passes only while
    /// this mapping (the one in force) grants every role of the token to the claim values recorded for its owner. So
    /// removing or narrowing a person's mapping invalidates their tokens at their next use, signed in or not.
    /// </summary>
    public bool Grants(AccessTokenInfo token)
    {
        if (token.OwnerPerson is null) return true;
        if (token.OwnerMatches is not { IsDefaultOrEmpty: false } matches) return false;
        var granted = RolesFor(matches);
        return token.Roles.All(r => Roles.Satisfies(granted, r));
    }
}
