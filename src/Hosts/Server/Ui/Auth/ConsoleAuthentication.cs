using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using Sower.Server.Configuration;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Ui.Auth;

/// <summary>
/// The console's browser session: a cookie scheme next to the API's Bearer scheme. Signing in presents an access token
/// once; the cookie then carries that token's claims (never its secret) and is re-checked against the token store, so a
/// revoked, regenerated or expired token ends the session. A selector scheme is the default: requests that carry a
/// token (Authorization header, or access_token on the hub paths) authenticate as before, browser requests by cookie.
/// OpenID Connect (<see cref="OidcSignIn"/>), when configured, is one more scheme that signs a person into the same cookie.
/// </summary>
public static class ConsoleAuthentication
{
    public const string CookieScheme = "SowerConsole";
    public const string SelectorScheme = "SowerSelector";
    public const string ConsolePolicy = "console";
    public const string SignInPath = "/signin";
    public const string SignInEndpoint = "/ui/session/signin";
    public const string SignOutEndpoint = "/ui/session/signout";
    public const string SecretIssuedClaim = AccessTokenPrincipal.SecretIssuedClaim;
    public const string CookieName = "sower_session";
    /// <summary>On the anonymous identity of a console page whose session ended while it was open: why (a revocation
    /// reason, or <c>expired</c>).</summary>
    public const string EndedClaim = "session_ended";

    /// <summary>Browser sessions last at most 60 days (REFERENCE §6.2) and never beyond the token's expiry.</summary>
    public static readonly Duration MaxSession = Duration.FromDays(60);

    public static IServiceCollection AddSowerConsoleAuthentication(this IServiceCollection services)
    {
        var server = services.LastOrDefault(d => d.ServiceType == typeof(ServerOptions))?.ImplementationInstance as ServerOptions ?? new ServerOptions();
        var authentication = services.AddAuthentication();
        authentication.AddSowerOidcSignIn(server.Auth, server.PublicUrl);
        authentication
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = SignInPath;
                o.AccessDeniedPath = SignInPath;
                o.ReturnUrlParameter = "returnUrl";
                o.SlidingExpiration = false;
                o.Events.OnValidatePrincipal = async context =>
                {
                    var validator = context.HttpContext.RequestServices.GetRequiredService<ConsoleSessionValidator>();
                    if (context.Principal is null || !await validator.IsValidAsync(context.Principal, context.HttpContext.RequestAborted))
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(CookieScheme);
                    }
                };
            })
            .AddPolicyScheme(SelectorScheme, "Bearer token or console cookie", o => o.ForwardDefaultSelector = SelectScheme);
        // The infrastructure made Bearer the default; browsers have no token, so the selector takes over and forwards.
        services.Configure<AuthenticationOptions>(o =>
        {
            o.DefaultScheme = SelectorScheme;
            o.DefaultAuthenticateScheme = SelectorScheme;
            o.DefaultChallengeScheme = SelectorScheme;
            o.DefaultForbidScheme = SelectorScheme;
        });
        services.AddAuthorization(o => o.AddPolicy(ConsolePolicy, p => p
            .AddAuthenticationSchemes(CookieScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(c => IsConsoleUser(c.User))));
        return services;
    }

    private static string SelectScheme(HttpContext http)
    {
        if (http.Request.Headers.Authorization.Count > 0) return AccessTokenAuthenticationHandler.SchemeName;
        if (http.Request.Path.StartsWithSegments("/hubs", StringComparison.OrdinalIgnoreCase) && http.Request.Query.ContainsKey("access_token"))
        {
            return AccessTokenAuthenticationHandler.SchemeName;
        }
        if (http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)) return AccessTokenAuthenticationHandler.SchemeName;
        return CookieScheme;
    }

    /// <summary>Any user token may sign in; a garden's own credential may not.</summary>
    public static bool IsConsoleUser(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.GardenSid() is null && !user.TokenRoles().Contains(Roles.Garden);

    public static void MapSowerConsoleSession(this WebApplication app)
    {
        app.MapPost(SignInEndpoint, SignIn).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(SignOutEndpoint, (Delegate)SignOut).AllowAnonymous().ExcludeFromDescription();
        app.MapSowerOidcSignIn(app.Services.GetRequiredService<ServerOptions>().Auth);
    }

    /// <summary>Form post from the sign-in page (antiforgery-checked): a valid user token starts a cookie session.</summary>
    private static async Task<IResult> SignIn(HttpContext http, [FromForm] string? token, [FromForm] string? returnUrl, ActorRegistry registry,
        IClock clock, ILogger<ConsoleSessionValidator> log)
    {
        var back = SafeReturnUrl(returnUrl);
        var presented = token?.Trim() ?? "";
        if (presented.Length == 0) return Back("empty", back);
        if (!AccessTokenFormat.TryParse(presented, out _, out _)) return Back("malformed", back);
        AccessTokenInfo? info;
        try
        {
            var store = await registry.GetAsync<AccessTokensActorKey>(http.RequestAborted).WaitAsync(TimeSpan.FromSeconds(10), http.RequestAborted);
            info = (await store.Ask<AccessTokenAuthenticated>(new AuthenticateAccessToken(presented), TimeSpan.FromSeconds(10), http.RequestAborted)).Token;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException)
        {
            log.LogWarning("console sign-in: the token store did not answer");
            return Back("unavailable", back);
        }
        if (info is null || !http.RequestServices.GetRequiredService<ServerOptions>().Auth.Allows(info)) return Back("invalid", back);
        if (info.GardenId is not null || info.Roles.Contains(Roles.Garden)) return Back("garden", back);

        var principal = AccessTokenPrincipal.Create(info, CookieScheme);
        var now = clock.GetCurrentInstant();
        var expires = now + MaxSession;
        if (info.ExpiresOn is { } last)
        {
            var endOfExpiry = last.PlusDays(1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
            if (endOfExpiry < expires) expires = endOfExpiry;
        }
        await http.SignInAsync(CookieScheme, principal, new AuthenticationProperties
        {
            IsPersistent = true,
            ExpiresUtc = expires.ToDateTimeOffset(),
            AllowRefresh = false,
        });
        return Results.LocalRedirect(back);
    }

    /// <summary>
    /// Form post from the console's sign-out button, antiforgery-checked by hand: the endpoint binds no form field, so
    /// the framework would not check it, and a cross-site page could otherwise end anyone's session.
    /// </summary>
    private static async Task<IResult> SignOut(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http)) return Results.BadRequest("sign-out needs the console's form (antiforgery token missing or invalid)");
        await http.SignOutAsync(CookieScheme);
        return Results.LocalRedirect(SignInPath + "?signedOut=1");
    }

    private static IResult Back(string error, string returnUrl) =>
        Results.LocalRedirect($"{SignInPath}?error={error}&returnUrl={Uri.EscapeDataString(returnUrl)}");

    /// <summary>
    /// Only local paths: an open redirect through the sign-in form is not possible. Only printable ASCII without a backslash is
    /// accepted (a path the console itself produced is percent-encoded): browsers drop tab and newline and read a
    /// backslash as '/', so "/\t/evil.example" would leave the site, and a control or non-ASCII character in the Location header made
    /// the redirect throw (a 500). Anything else goes to "/".
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.Length <= 2048 && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
        && returnUrl.All(c => c is >= ' ' and <= '~' and not '\\') && !returnUrl.StartsWith(SignInPath, StringComparison.OrdinalIgnoreCase)
            ? returnUrl
            : "/";
}
