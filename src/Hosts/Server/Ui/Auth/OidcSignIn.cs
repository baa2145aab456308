using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using NodaTime;
using Sower.Server.Auth;
using Sower.Server.Configuration;

namespace Sower.Server.Ui.Auth;

/// <summary>
/// "Sign in with OIDC" for the console (settings <c>auth.oidc_*</c>): the authorization-code flow with PKCE against the
/// configured provider, whose discovery document, signing keys, issuer, audience, state and nonce the OpenID Connect
/// handler checks. A person whose claims the role mapping grants no role is refused; anyone else gets a console cookie
/// session (<see cref="ConsoleAuthentication.CookieScheme"/>) that carries their subject, name, mapped roles and the
/// claim values that granted them — never the provider's tokens. Every request re-checks the session against the
/// mapping in force (<see cref="PersonPrincipal.StillMapped"/>), so removing a person's mapping ends their sessions.
/// </summary>
public static class OidcSignIn
{
    public const string Scheme = "SowerOidc";
    public const string StartEndpoint = "/ui/session/oidc";
    public const string CallbackPath = "/signin-oidc";

    /// <summary>An OIDC session lasts at most this long; then the person signs in at the provider again (which also
    /// refreshes the claim values their roles come from).</summary>
    public static readonly Duration MaxSession = Duration.FromHours(12);

    public static void AddSowerOidcSignIn(this AuthenticationBuilder authentication, AuthOptions auth, string? publicUrl)
    {
        if (!auth.OidcEnabled) return;
        authentication.AddOpenIdConnect(Scheme, "OpenID Connect", o =>
        {
            o.Authority = auth.OidcAuthority;
            o.RequireHttpsMetadata = auth.OidcAuthority!.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            o.ClientId = auth.OidcClientId;
            o.ClientSecret = auth.OidcClientSecret;
            o.ResponseType = OpenIdConnectResponseType.Code;
            // Query, not form_post: the callback is then a top-level GET, so the SameSite=Lax correlation and nonce
            // cookies come back on plain http (loopback) as on https.
            o.ResponseMode = OpenIdConnectResponseMode.Query;
            o.UsePkce = true;
            o.CallbackPath = CallbackPath;
            o.SignInScheme = ConsoleAuthentication.CookieScheme;
            o.SaveTokens = false;
            o.MapInboundClaims = false;
            o.GetClaimsFromUserInfoEndpoint = true;
            o.Scope.Clear();
            foreach (var scope in auth.OidcScopes) o.Scope.Add(scope);
            o.TokenValidationParameters.NameClaimType = "name";
            // Claims from the userinfo endpoint (arrays become one claim per value): the names and the mapped claims.
            foreach (var claim in new[] { "name", "preferred_username", "email" }) o.ClaimActions.MapUniqueJsonKey(claim, claim);
            foreach (var claim in auth.OidcRoleMapping.Claims.Keys) o.ClaimActions.MapJsonKey(claim, claim);
            foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
            {
                cookie.SameSite = SameSiteMode.Lax;
                cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            }
            if (publicUrl is not null)
            {
                o.Events.OnRedirectToIdentityProvider = context =>
                {
                    context.ProtocolMessage.RedirectUri = publicUrl.TrimEnd('/') + CallbackPath;
                    return Task.CompletedTask;
                };
            }
            // OpenID Connect Discovery: the issuer a provider names must be the authority it was asked for. The handler
            // only checks tokens against the discovery document, so a document naming another issuer is refused here.
            o.Events.OnTokenValidated = context =>
            {
                var issuer = context.SecurityToken?.Issuer;
                if (!SameIssuer(issuer, auth.OidcAuthority!))
                    context.Fail($"issuer mismatch: the ID token was issued by \"{issuer}\", auth.oidc_authority is \"{auth.OidcAuthority}\"");
                return Task.CompletedTask;
            };
            o.Events.OnTicketReceived = context => OnTicketReceived(context, auth);
            o.Events.OnRemoteFailure = context =>
            {
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignIn))
                    .LogWarning("OIDC sign-in refused: {Reason}", context.Failure?.Message);
                context.Response.Redirect(ConsoleAuthentication.SignInPath + "?error=oidc");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    public static bool SameIssuer(string? issuer, string authority) =>
        issuer is not null && string.Equals(issuer.TrimEnd('/'), authority.TrimEnd('/'), StringComparison.Ordinal);

    /// <summary>The provider vouched for the person: keep them only if the mapping grants them a role, and replace the
    /// provider's claims by the console's own.</summary>
    private static Task OnTicketReceived(TicketReceivedContext context, AuthOptions auth)
    {
        var provider = context.Principal!;
        var log = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignIn));
        var subject = provider.FindFirstValue("sub");
        var issuer = provider.FindFirst("sub")?.Issuer ?? auth.OidcAuthority!;
        var matches = auth.OidcRoleMapping.Matches(provider.Claims.Select(c => (c.Type, c.Value)));
        var roles = auth.OidcRoleMapping.RolesFor(matches);
        if (string.IsNullOrEmpty(subject) || roles.Length == 0)
        {
            log.LogWarning("OIDC sign-in of {Subject} refused: no role mapping matches their claims", subject ?? "(no subject)");
            context.Response.Redirect(ConsoleAuthentication.SignInPath + "?error=unmapped");
            context.HandleResponse();
            return Task.CompletedTask;
        }
        var now = context.HttpContext.RequestServices.GetRequiredService<IClock>().GetCurrentInstant();
        context.Principal = PersonPrincipal.Create(issuer, subject, PersonPrincipal.DisplayNameFrom(provider, subject), matches, roles, now,
            ConsoleAuthentication.CookieScheme);
        context.Properties!.IsPersistent = true;
        context.Properties.AllowRefresh = false;
        context.Properties.ExpiresUtc = (now + MaxSession).ToDateTimeOffset();
        context.ReturnUri = ConsoleAuthentication.SafeReturnUrl(context.ReturnUri);
        log.LogInformation("OIDC sign-in of {Subject} with roles {Roles}", subject, string.Join(", ", roles));
        return Task.CompletedTask;
    }

    /// <summary>GET <c>/ui/session/oidc?returnUrl=…</c>: starts the flow at the provider (only a local return path).</summary>
    public static void MapSowerOidcSignIn(this WebApplication app, AuthOptions auth)
    {
        if (!auth.OidcEnabled) return;
        app.MapGet(StartEndpoint, (string? returnUrl) =>
                Results.Challenge(new AuthenticationProperties { RedirectUri = ConsoleAuthentication.SafeReturnUrl(returnUrl) }, [Scheme]))
            .AllowAnonymous().ExcludeFromDescription();
    }
}
