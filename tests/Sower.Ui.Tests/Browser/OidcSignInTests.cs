using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;
using Sower.Testing.Oidc;
using static Microsoft.Playwright.Assertions;

namespace Sower.Ui.Tests.Browser;

/// <summary>Console sign-in through a real OIDC provider started by the test, in headless Chromium.</summary>
public sealed class OidcSignInTests(OidcConsoleFixture fx) : IClassFixture<OidcConsoleFixture>
{
    private TestServer Server => fx.Server;

    [Fact]
    public async Task A_person_signs_in_at_the_provider_holds_their_mapped_roles_and_signs_out()
    {
        var page = await fx.NewPage();
        await OidcConsoleFixture.SignInAtProvider(page, OidcConsoleFixture.Alice, "/gardens");
        await ConsoleFixture.WaitInteractive(page);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Gardens");
        await Expect(page.Locator(".user-name")).ToHaveTextAsync("Alice Admin");
        await Expect(page.Locator(".user-menu .pill")).ToHaveCountAsync(0); // admin: not read-only

        await page.Locator("#sign-out").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You are signed out");
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/signin"));
    }

    [Fact]
    public async Task A_person_mapped_only_to_read_roles_sees_the_console_read_only()
    {
        var page = await fx.NewPage();
        await OidcConsoleFixture.SignInAtProvider(page, OidcConsoleFixture.Bob);
        await ConsoleFixture.WaitInteractive(page);
        await Expect(page.Locator(".user-name")).ToHaveTextAsync("Bob Operator");
        await Expect(page.Locator(".user-menu .pill")).ToHaveTextAsync("read-only");
    }

    [Fact]
    public async Task A_person_none_of_whose_groups_is_mapped_is_refused()
    {
        var page = await fx.NewPage();
        await OidcConsoleFixture.SignInAtProvider(page, OidcConsoleFixture.Carol);
        await Expect(page).ToHaveURLAsync(new Regex("/signin\\?error=unmapped"));
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("none of your groups or claims is mapped to a Sower role");
        await page.GotoAsync("/gardens");
        await Expect(page).ToHaveURLAsync(new Regex("/signin"));
    }

    [Fact]
    public async Task An_approval_by_a_person_names_them_in_the_console_and_the_api()
    {
        await using var garden = await TestGarden.EnrollAndConnect(Server, "oidc-" + Guid.NewGuid().ToString("N")[..6]);
        await garden.Sync(Subscriptions.NixOS("system", garden.Name, Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(Server, garden.Name);
        var waiting = await Wait.ForAsync(async () =>
        {
            var list = await Server.GetJson("/api/v1/deployments?state=awaiting_approval&garden=" + garden.Name);
            return list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sid").GetString()).FirstOrDefault();
        }, "a deployment awaiting approval");

        var page = await fx.NewPage();
        await OidcConsoleFixture.SignInAtProvider(page, OidcConsoleFixture.Alice, "/approvals");
        await ConsoleFixture.WaitInteractive(page);
        var card = page.Locator($"article[data-sid='{waiting}']");
        await card.Locator("button.approve").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Approved");
        await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && p.GetProperty("sid").GetString() == waiting);

        await ConsoleFixture.Goto(page, "/deployments/" + waiting);
        await Expect(page.Locator("li[data-event='approved'] .activity-actor")).ToHaveTextAsync("Alice Admin (sub-alice)");

        var approvedJson = await Wait.ForAsync(async () =>
        {
            var deployment = await Server.GetJson($"/api/v1/deployments/{waiting}");
            return deployment.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "approved").Select(e => e.GetRawText()).FirstOrDefault();
        }, "the approved event in the API");
        var approved = System.Text.Json.JsonDocument.Parse(approvedJson).RootElement;
        Assert.Equal("person", approved.GetProperty("actor_kind").GetString());
        Assert.Equal("sub-alice", approved.GetProperty("actor").GetString());
        Assert.Equal("Alice Admin", approved.GetProperty("actor_description").GetString());
    }
}
