using Microsoft.Playwright;
using Sower.Server.Configuration;
using Sower.Server.Tests.Support;
using Sower.Testing.Oidc;

namespace Sower.Ui.Tests.Browser;

/// <summary>
/// A real OIDC provider (<see cref="TestOidcProvider"/>, OpenIddict on a loopback port), a real server configured to
/// sign people in through it (settings bound by the same binder a start uses), and headless Debian Chromium.
/// </summary>
public sealed class OidcConsoleFixture : IAsyncLifetime
{
    public const string ClientId = "sower-console";
    public const string ClientSecret = "test-client-secret";
    public const string MappingJson = """{"groups": {"sower-admins": "admin", "ops": ["deployment:read", "garden:read", "seed:read"]}}""";

    public static readonly TestOidcUser Alice = new("sub-alice", "alice", "alice-pw", "Alice Admin", ["sower-admins", "staff"]);
    public static readonly TestOidcUser Bob = new("sub-bob", "bob", "bob-pw", "Bob Operator", ["ops"]);
    public static readonly TestOidcUser Carol = new("sub-carol", "carol", "carol-pw", "Carol Visitor", ["visitors"]);

    public TestOidcProvider Provider { get; private set; } = null!;
    public TestServer Server { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Binds OIDC settings the way a start does (a secret file, the mapping as JSON), or fails the test.</summary>
    public static AuthOptions Settings(string authority, string secretDir, string mappingJson = MappingJson)
    {
        var secretFile = Path.Combine(secretDir, "oidc-client-secret");
        File.WriteAllText(secretFile, ClientSecret + "\n");
        var problems = new List<string>();
        var auth = OidcSettingsBinder.Bind(authority, ClientId, secretFile, null, mappingJson, readSecretFiles: true, problems);
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("\n", problems));
        return auth;
    }

    /// <summary>Starts a provider and a server that trusts it; <paramref name="issuerPath"/> makes the provider name another issuer.</summary>
    public static async Task<(TestOidcProvider Provider, TestServer Server)> StartPair(string? issuerPath = null, bool keepData = false)
    {
        var serverPort = TestOidcProvider.FreePort();
        var provider = await TestOidcProvider.StartAsync(new TestOidcProviderOptions(ClientId, ClientSecret,
            $"http://127.0.0.1:{serverPort}/signin-oidc", [Alice, Bob, Carol], issuerPath));
        return (provider, await StartServer(provider, serverPort, keepData: keepData));
    }

    /// <summary>A server trusting <paramref name="provider"/> on <paramref name="port"/> (the provider's registered
    /// redirect), with <paramref name="mappingJson"/>, optionally on the data of an earlier server.</summary>
    public static async Task<TestServer> StartServer(TestOidcProvider provider, int port, string mappingJson = MappingJson, string? dataDir = null, bool keepData = false)
    {
        var secrets = Directory.CreateTempSubdirectory("sower-oidc-secret-").FullName;
        var auth = Settings(provider.BaseUrl, secrets, mappingJson);
        var server = dataDir is null ? new TestServer { Port = port, Auth = auth, KeepDataDir = keepData } : new TestServer { Port = port, Auth = auth, DataDir = dataDir };
        await server.InitializeAsync();
        // Warm up: the server reads the provider's discovery document and keys at its first sign-in (slow on a loaded
        // machine); one challenge here keeps that out of the browser steps' timeouts.
        using var warm = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(120) };
        var challenge = await warm.GetAsync(new Uri(server.BaseAddress, "/ui/session/oidc"));
        if (challenge.StatusCode != System.Net.HttpStatusCode.Redirect) throw new InvalidOperationException($"OIDC challenge answered {(int)challenge.StatusCode}");
        await warm.GetAsync(challenge.Headers.Location);
        return server;
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ConsoleFixture.Chromium)) throw new InvalidOperationException($"{ConsoleFixture.Chromium} is missing");
        (Provider, Server) = await StartPair();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ConsoleFixture.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task<IPage> NewPage(TestServer? server = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (server ?? Server).BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    /// <summary>From the console's sign-in page through the provider's login form and back.</summary>
    public static async Task SignInAtProvider(IPage page, TestOidcUser user, string path = "/")
    {
        await page.GotoAsync(path);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.Locator("#oidc-signin").ClickAsync();
        await page.Locator("#username").FillAsync(user.UserName);
        await page.Locator("#password").FillAsync(user.Password);
        await page.Locator("#login").ClickAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        if (Provider is not null) await Provider.DisposeAsync();
    }
}
