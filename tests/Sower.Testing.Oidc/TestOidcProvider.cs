using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Sower.Testing.Oidc;

/// <summary>A person the test provider knows: password, display name and the values of its <c>groups</c> claim.</summary>
public sealed record TestOidcUser(string Subject, string UserName, string Password, string Name, ImmutableArray<string> Groups);

/// <summary>How the test provider is set up. <paramref name="Issuer"/>: the issuer it names in its discovery document and
/// tokens (default: its own address, as a correct provider does; a different one makes an issuer mismatch).</summary>
public sealed record TestOidcProviderOptions(string ClientId, string ClientSecret, string RedirectUri, ImmutableArray<TestOidcUser> Users, string? IssuerPath = null);

/// <summary>
/// A real OpenID Connect provider for the tests, in process on a loopback port: OpenIddict's server (discovery, JWKS,
/// authorization and token endpoints; authorization code with PKCE required; ephemeral keys; no stores, so it checks its
/// one client by hand) and a plain login form with the test users. It speaks the real protocol to a real relying party.
/// </summary>
public sealed class TestOidcProvider : IAsyncDisposable
{
    public const string LoginPath = "/login";
    private readonly WebApplication _app;

    public string BaseUrl { get; }
    /// <summary>The issuer the provider names (its base URL unless <see cref="TestOidcProviderOptions.IssuerPath"/> is set).</summary>
    public string Issuer { get; }
    public TestOidcProviderOptions Options { get; }

    private TestOidcProvider(WebApplication app, string baseUrl, string issuer, TestOidcProviderOptions options)
    {
        _app = app;
        BaseUrl = baseUrl;
        Issuer = issuer;
        Options = options;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<TestOidcProvider> StartAsync(TestOidcProviderOptions options, int? port = null)
    {
        var baseUrl = $"http://127.0.0.1:{port ?? FreePort()}";
        var issuer = options.IssuerPath is { } path ? baseUrl + path : baseUrl + "/";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
        builder.WebHost.UseUrls(baseUrl);
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o => { o.Cookie.Name = "test_idp"; o.LoginPath = LoginPath; });
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.SetIssuer(new Uri(issuer));
            o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
            o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, "groups");
            o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            o.DisableAccessTokenEncryption();
            o.EnableDegradedMode();
            o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            // Degraded mode has no application store: the one client and its redirect URI are checked here.
            o.AddEventHandler<ValidateAuthorizationRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (context.ClientId != options.ClientId) context.Reject(Errors.InvalidClient, "unknown client");
                else if (context.RedirectUri != options.RedirectUri) context.Reject(Errors.InvalidRequest, "unregistered redirect_uri");
                return default;
            }));
            o.AddEventHandler<ValidateTokenRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (context.ClientId != options.ClientId || context.ClientSecret != options.ClientSecret) context.Reject(Errors.InvalidClient, "bad client credentials");
                return default;
            }));
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.MapGet(LoginPath, (string? ReturnUrl, string? error) => Results.Content(LoginForm(ReturnUrl ?? "/", error), "text/html; charset=utf-8"));
        app.MapPost(LoginPath, async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            var returnUrl = form["returnUrl"].ToString();
            var user = options.Users.FirstOrDefault(u => u.UserName == form["username"] && u.Password == form["password"]);
            if (user is null) return Results.Content(LoginForm(returnUrl, "wrong user name or password"), "text/html; charset=utf-8");
            await http.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", user.Subject)], CookieAuthenticationDefaults.AuthenticationScheme)));
            return Results.Redirect(returnUrl.StartsWith('/') ? returnUrl : "/");
        });
        app.MapMethods("/connect/authorize", ["GET", "POST"], async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest()!;
            var signedIn = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            var user = signedIn.Succeeded ? options.Users.FirstOrDefault(u => u.Subject == signedIn.Principal!.FindFirst("sub")?.Value) : null;
            if (user is null)
            {
                return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString },
                    [CookieAuthenticationDefaults.AuthenticationScheme]);
            }
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, user.Subject).SetClaim(Claims.Name, user.Name).SetClaim(Claims.PreferredUsername, user.UserName);
            identity.SetClaims("groups", user.Groups);
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        await app.StartAsync();
        return new TestOidcProvider(app, baseUrl, issuer, options);
    }

    private static string LoginForm(string returnUrl, string? error) =>
        $"""
        <!doctype html><html><head><title>Test provider sign-in</title></head><body>
        <h1>Test identity provider</h1>
        {(error is null ? "" : $"<p id=\"error\">{WebUtility.HtmlEncode(error)}</p>")}
        <form method="post" action="{LoginPath}">
          <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl)}" />
          <label>User <input id="username" name="username" /></label>
          <label>Password <input id="password" name="password" type="password" /></label>
          <button id="login" type="submit">Sign in</button>
        </form></body></html>
        """;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
