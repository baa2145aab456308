using System.Net;
using Sower.Server.Tests.Support;
using Sower.Testing.Oidc;
using Sower.Ui.Tests.Browser;

namespace Sower.Ui.Tests.Http;

/// <summary>The OIDC flow over plain HTTP against the real provider, with a hostile browser: a tampered state, a lost
/// nonce and a provider naming another issuer are all refused, and none of them yields a session.</summary>
[Collection(SharedOidcCollection.Name)]
public sealed class OidcProtocolTests(OidcConsoleFixture fx)
{
    private sealed record Flow(HttpClient Client, CookieContainer Cookies, Uri Callback);

    /// <summary>Runs the flow up to the provider's redirect back to the server (the callback with code and state).</summary>
    private static async Task<Flow> UpToCallback(TestServer server, TestOidcUser user)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var start = await client.GetAsync(new Uri(server.BaseAddress, "/ui/session/oidc?returnUrl=%2Fgardens"));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        var toLogin = await client.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        var login = await client.PostAsync(new Uri(authorize, TestOidcProvider.LoginPath), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = user.UserName,
            ["password"] = user.Password,
            ["returnUrl"] = authorize.PathAndQuery,
        }));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var back = await client.GetAsync(new Uri(authorize, login.Headers.Location!));
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        var callback = back.Headers.Location!;
        Assert.StartsWith(new Uri(server.BaseAddress, "/signin-oidc").ToString(), callback.ToString());
        return new Flow(client, cookies, callback);
    }

    private static string Param(Uri uri, string name) =>
        System.Web.HttpUtility.ParseQueryString(uri.Query)[name] ?? throw new InvalidOperationException($"no {name} in {uri}");

    private static async Task AssertRefused(HttpResponseMessage response, CookieContainer cookies, TestServer server)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?error=oidc", response.Headers.Location!.OriginalString);
        Assert.DoesNotContain(cookies.GetCookies(server.BaseAddress), c => c.Name == "sower_session");
        await Task.CompletedTask;
    }

    [Fact]
    public async Task The_untampered_flow_starts_a_console_session()
    {
        var flow = await UpToCallback(fx.Server, OidcConsoleFixture.Alice);
        var response = await flow.Client.GetAsync(flow.Callback);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/gardens", response.Headers.Location!.OriginalString);
        Assert.Contains(flow.Cookies.GetCookies(fx.Server.BaseAddress), c => c.Name == "sower_session");
    }

    [Fact]
    public async Task A_tampered_state_is_refused()
    {
        var flow = await UpToCallback(fx.Server, OidcConsoleFixture.Alice);
        var state = Param(flow.Callback, "state");
        var tampered = flow.Callback.ToString().Replace(Uri.EscapeDataString(state), Uri.EscapeDataString(state[..^4] + "AAAA"), StringComparison.Ordinal);
        await AssertRefused(await flow.Client.GetAsync(tampered), flow.Cookies, fx.Server);
    }

    [Fact]
    public async Task A_callback_without_the_nonce_cookie_is_refused()
    {
        var flow = await UpToCallback(fx.Server, OidcConsoleFixture.Alice);
        // Another browser (or an attacker replaying the callback) has the correlation cookie at most, not the nonce.
        var cookies = new CookieContainer();
        foreach (Cookie c in flow.Cookies.GetCookies(fx.Server.BaseAddress))
        {
            if (!c.Name.StartsWith(".AspNetCore.OpenIdConnect.Nonce.", StringComparison.Ordinal)) cookies.Add(fx.Server.BaseAddress, new Cookie(c.Name, c.Value));
        }
        using var other = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        await AssertRefused(await other.GetAsync(flow.Callback), cookies, fx.Server);
    }

    [Fact]
    public async Task A_callback_replayed_in_a_browser_that_did_not_start_the_flow_is_refused()
    {
        var flow = await UpToCallback(fx.Server, OidcConsoleFixture.Alice);
        var cookies = new CookieContainer();
        using var other = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        await AssertRefused(await other.GetAsync(flow.Callback), cookies, fx.Server);
    }

    [Fact]
    public async Task A_provider_naming_another_issuer_than_the_configured_authority_is_refused()
    {
        var (provider, server) = await OidcConsoleFixture.StartPair(issuerPath: "/other/");
        try
        {
            var flow = await UpToCallback(server, OidcConsoleFixture.Alice);
            await AssertRefused(await flow.Client.GetAsync(flow.Callback), flow.Cookies, server);
        }
        finally
        {
            await server.DisposeAsync();
            await provider.DisposeAsync();
        }
    }
}
