using Microsoft.Playwright;
using Sower.Server.Tests.Support;

namespace Sower.Ui.Tests.Browser;

/// <summary>
/// One real server (Kestrel on a random loopback port, SQLite in a temp dir) and one headless Debian Chromium, shared by
/// the classes of <see cref="SharedConsoleCollection"/> (or one class's own). Never a downloaded browser: Playwright
/// drives /usr/bin/chromium.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const string BrowserZone = "Europe/Berlin";

    public TestServer Server { get; } = new();
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is missing: install Debian's chromium (./test.sh does it as root)");
        await Server.InitializeAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    /// <summary>A fresh browser context (own cookies) at desktop width, in a zone other than UTC so zone handling shows.</summary>
    public async Task<IPage> NewPage(int width = 1280, int height = 860)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            TimezoneId = BrowserZone,
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the real form and waits until the page is interactive (the circuit is up).</summary>
    public async Task<IPage> SignedIn(string token, string path = "/", int width = 1280, int height = 860)
    {
        var page = await NewPage(width, height);
        await page.GotoAsync(path);
        await page.Locator("#token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitInteractive(page);
        return page;
    }

    public static async Task Goto(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitInteractive(page);
    }

    public static Task WaitInteractive(IPage page) =>
        Assertions.Expect(page.Locator(".shell")).ToHaveAttributeAsync("data-interactive", "true");

    /// <summary>Marks the document; if the mark survives, the page changed without a reload.</summary>
    public static Task Mark(IPage page) => page.EvaluateAsync("() => { window.__sowerMark = 'still-here'; }");

    public static async Task AssertNotReloaded(IPage page) =>
        Assert.Equal("still-here", await page.EvaluateAsync<string?>("() => window.__sowerMark ?? null"));

    /// <summary>Saves a screenshot into docs/screenshots of the repository (committed, shown in the README).</summary>
    public static async Task Screenshot(IPage page, string name, bool fullPage = true)
    {
        var dir = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = fullPage });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sower.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Sower.sln not found above " + AppContext.BaseDirectory);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        await Server.DisposeAsync();
    }
}
