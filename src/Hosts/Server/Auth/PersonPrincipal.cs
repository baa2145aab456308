using System.Collections.Immutable;
using System.Security.Claims;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;

namespace Sower.Server.Auth;

/// <summary>The claims of a person signed in to the console through OIDC: <c>person</c> (the provider's subject),
/// <c>person_name</c> (display name), <c>person_issuer</c>, one role claim per mapped role, one <c>oidc_match</c> per
/// <c>claim=value</c> pair that granted them (so the session can be re-checked against the mapping in force) and
/// <c>signed_in_at</c>. It carries no token sid: nothing a token-only check accepts.</summary>
public static class PersonPrincipal
{
    public const string SubjectClaim = "person";
    public const string NameClaim = "person_name";
    public const string IssuerClaim = "person_issuer";
    public const string MatchClaim = "oidc_match";
    public const string SignedInClaim = "signed_in_at";

    public static ClaimsPrincipal Create(string issuer, string subject, string displayName, ImmutableArray<string> matches, ImmutableArray<string> roles,
        Instant signedInAt, string scheme)
    {
        var claims = new List<Claim>
        {
            new(SubjectClaim, subject),
            new(NameClaim, displayName),
            new(IssuerClaim, issuer),
            new(SignedInClaim, InstantPattern.ExtendedIso.Format(signedInAt)),
        };
        claims.AddRange(matches.Select(m => new Claim(MatchClaim, m)));
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, NameClaim, ClaimTypes.Role));
    }

    public static string? PersonSubject(this ClaimsPrincipal user) => user.FindFirstValue(SubjectClaim);

    public static bool IsPerson(this ClaimsPrincipal user) => user.PersonSubject() is not null;

    public static ImmutableArray<string> OidcMatches(this ClaimsPrincipal user) => [.. user.FindAll(MatchClaim).Select(c => c.Value)];

    /// <summary>What the console shows as who is signed in: the person's name, or the token's description.</summary>
    public static string DisplayName(this ClaimsPrincipal user) =>
        user.FindFirstValue(NameClaim) ?? user.FindFirstValue(AccessTokenPrincipal.DescriptionClaim) ?? "signed in";

    /// <summary>The person's display name from the provider's claims: <c>name</c>, else <c>preferred_username</c>,
    /// else <c>email</c>, else the subject.</summary>
    public static string DisplayNameFrom(ClaimsPrincipal provider, string subject) =>
        new[] { "name", "preferred_username", "email" }.Select(provider.FindFirstValue).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim() ?? subject;

    /// <summary>Whether a person's session still holds: the mapping in force now grants every role the session holds
    /// to the claim values recorded at sign-in (a removed mapping, or a role taken from it, ends the session).</summary>
    public static bool StillMapped(this ClaimsPrincipal user, OidcRoleMapping mapping)
    {
        var now = mapping.RolesFor(user.OidcMatches());
        var held = user.TokenRoles();
        return now.Length > 0 && held.Length > 0 && held.All(now.Contains);
    }

    public static Actor PersonActor(this ClaimsPrincipal user) => Actor.Person(user.PersonSubject()!, user.FindFirstValue(NameClaim));
}
