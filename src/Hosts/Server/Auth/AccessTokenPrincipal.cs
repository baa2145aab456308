using System.Collections.Immutable;
using System.Security.Claims;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;

namespace Sower.Server.Auth;

/// <summary>The claims an authenticated token carries: <c>sid</c> (token sid), <c>owner</c> (user sid), one role
/// claim per role, <c>garden</c> (garden sid, for garden credentials) and <c>expires_on</c>.</summary>
public static class AccessTokenPrincipal
{
    public const string SidClaim = "sid";
    public const string OwnerClaim = "owner";
    public const string GardenClaim = "garden";
    public const string ExpiresOnClaim = "expires_on";
    public const string DescriptionClaim = "description";
    /// <summary>When the presented secret was issued: a regeneration ends only the sessions of older secrets.</summary>
    public const string SecretIssuedClaim = "secret_issued_at";

    public static ClaimsPrincipal Create(AccessTokenInfo info, string scheme)
    {
        var claims = new List<Claim>
        {
            new(SidClaim, info.Sid.Value),
            new(OwnerClaim, info.OwnerSid),
            new(DescriptionClaim, info.Description),
        };
        claims.AddRange(info.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        if (info.GardenId is { } garden) claims.Add(new Claim(GardenClaim, garden.Value));
        if (info.ExpiresOn is { } expires) claims.Add(new Claim(ExpiresOnClaim, LocalDatePattern.Iso.Format(expires)));
        claims.Add(new Claim(SecretIssuedClaim, InstantPattern.ExtendedIso.Format(info.SecretIssuedAt)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, SidClaim, ClaimTypes.Role));
    }

    public static TokenId? TokenSid(this ClaimsPrincipal user) => user.FindFirstValue(SidClaim) is { } sid ? new TokenId(sid) : null;
    public static string? OwnerSid(this ClaimsPrincipal user) => user.FindFirstValue(OwnerClaim);
    public static GardenId? GardenSid(this ClaimsPrincipal user) => user.FindFirstValue(GardenClaim) is { } g ? new GardenId(g) : null;
    public static ImmutableArray<string> TokenRoles(this ClaimsPrincipal user) => [.. user.FindAll(ClaimTypes.Role).Select(c => c.Value)];
    public static Instant? SecretIssuedAt(this ClaimsPrincipal user) =>
        user.FindFirstValue(SecretIssuedClaim) is { } text && InstantPattern.ExtendedIso.Parse(text) is { Success: true } parsed ? parsed.Value : null;
    public static LocalDate? ExpiresOn(this ClaimsPrincipal user) =>
        user.FindFirstValue(ExpiresOnClaim) is { } text && LocalDatePattern.Iso.Parse(text) is { Success: true } parsed ? parsed.Value : null;
    public static bool IsAdmin(this ClaimsPrincipal user) => user.HasClaim(ClaimTypes.Role, Roles.Admin);

    /// <summary>The audit actor of a request: the person signed in through OIDC (subject and name), the token's sid and
    /// description, or (garden credentials) the garden.</summary>
    public static Actor AuditActor(this ClaimsPrincipal user) =>
        user.PersonSubject() is not null ? user.PersonActor()
        : user.GardenSid() is { } garden ? Actor.Garden(garden)
        : user.TokenSid() is { } sid ? Actor.Token(sid, user.FindFirstValue(DescriptionClaim))
        : new Actor(ActorKind.Token, "unknown", null);
}
