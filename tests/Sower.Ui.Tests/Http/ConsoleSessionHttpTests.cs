using System.Net;
using System.Text.RegularExpressions;
using Sower.Server.Tests.Support;

namespace Sower.Ui.Tests.Http;

/// <summary>
/// The console's session endpoints over plain HTTP against the real server, as an attacker's page or script would
/// call them (issue 12, finding 8): hostile <c>returnUrl</c> values never give a 500 or leave the site, and sign-out
/// refuses a cross-site POST that carries the session cookie but not the console's antiforgery token.
/// </summary>
public sealed partial class ConsoleSessionHttpTests(TestServer server) : IClassFixture<TestServer>
{
    /// <summary>A browser-like client: its own cookie jar, no automatic redirects (the tests read Location).</summary>
    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        return new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<string> FormToken(HttpClient browser, string path)
    {
        var page = await browser.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)page.StatusCode}");
        return AntiforgeryField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"no antiforgery field on {path}");
    }

    private static async Task<HttpResponseMessage> SignIn(HttpClient browser, string token, string returnUrl)
    {
        var form = await FormToken(browser, "/signin");
        return await browser.PostAsync("/ui/session/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = form,
            ["token"] = token,
            ["returnUrl"] = returnUrl,
        }));
    }

    [Theory]
    [InlineData("/gardens\u0001")]
    [InlineData("/\u0000")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\r\nSet-Cookie: x=1")]
    [InlineData("/\u007f")]
    [InlineData("/caf\u00e9")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/x\\..\\\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("javascript:alert(1)")]
    public async Task A_hostile_return_url_after_sign_in_is_a_redirect_to_the_console_home_never_a_500_nor_off_site(string returnUrl)
    {
        using var browser = Browser(out _);

        var response = await SignIn(browser, server.AdminToken, returnUrl);

        // A NUL never reaches the endpoint (the form reader refuses it: 400); everything else signs in and goes home.
        if (returnUrl.Contains('\0', StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.BadRequest) return;
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_local_return_url_is_kept()
    {
        using var browser = Browser(out _);
        var response = await SignIn(browser, server.AdminToken, "/gardens?filter=web%2001");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/gardens?filter=web%2001", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("%01")]
    [InlineData("/gardens%0D%0ALocation:%20https://evil.example")]
    [InlineData("%2F%09%2Fevil.example")]
    public async Task The_sign_in_page_with_a_hostile_return_url_never_fails(string escaped)
    {
        using var browser = Browser(out _);
        var anonymous = await browser.GetAsync("/signin?returnUrl=" + escaped);
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Contains("name=\"returnUrl\" value=\"/\"", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Already signed in, the page sends the reader on: home, not the hostile target, and no 500.
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, server.AdminToken, "/")).StatusCode);
        var signedIn = await browser.GetAsync("/signin?returnUrl=" + escaped);
        Assert.True((int)signedIn.StatusCode < 500, $"GET /signin as a signed-in user: {(int)signedIn.StatusCode}");
        if (signedIn.Headers.Location is { } location) Assert.Equal(new Uri(server.BaseAddress, "/"), new Uri(server.BaseAddress, location));
    }

    [Fact]
    public async Task Sign_out_without_the_consoles_antiforgery_token_is_refused_and_the_session_lives_on()
    {
        using var browser = Browser(out _);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, server.AdminToken, "/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/gardens")).StatusCode);

        // What a hostile page's auto-submitting form sends: the victim's cookies, no (or a made-up) form token.
        var crossSite = await browser.PostAsync("/ui/session/signout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        var forged = await browser.PostAsync("/ui/session/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = "forged" }));

        Assert.Equal(HttpStatusCode.BadRequest, crossSite.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/gardens")).StatusCode);

        // The console's own sign-out form still works.
        var form = await FormToken(browser, "/gardens");
        var signOut = await browser.PostAsync("/ui/session/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = form }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/signin?signedOut=1", signOut.Headers.Location?.OriginalString);
        var after = await browser.GetAsync("/gardens");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/signin", after.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
