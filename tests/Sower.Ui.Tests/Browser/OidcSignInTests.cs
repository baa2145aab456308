using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;
using Sower.Testing.Oidc;
using static Microsoft.Playwright.Assertions;

namespace Sower.Ui.Tests.Browser;

/// <summary>Console sign-in through a real OIDC provider started by the test, in headless Chromium.</summary>
[Collection(SharedOidcCollection.Name)]
public sealed class OidcSignInTests(OidcConsoleFixture fx)
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
    public async Task A_person_mints_a_cli_token_that_stops_working_when_their_role_mapping_is_removed()
    {
        var (provider, first) = await OidcConsoleFixture.StartPair(keepData: true);
        TestServer? second = null;
        try
        {
            var page = await fx.NewPage(first);
            await OidcConsoleFixture.SignInAtProvider(page, OidcConsoleFixture.Bob, "/settings/tokens");
            await ConsoleFixture.WaitInteractive(page);
            await page.Locator("#token-description").FillAsync("bob laptop");
            await Expect(page.Locator("input[type=checkbox][value='admin']")).ToBeDisabledAsync(); // not his to grant
            await page.Locator("input[type=checkbox][value='deployment:read']").CheckAsync();
            await page.Locator("#create-token").ClickAsync();
            var token = await page.Locator("#new-token-value").InputValueAsync();
            Assert.StartsWith("sower_", token);
            await Expect(page.Locator("td.token-creator")).ToHaveTextAsync("Bob Operator (sub-bob)");

            using var cli = first.Client(token);
            Assert.Equal(HttpStatusCode.OK, (await cli.GetAsync("/api/v1/deployments")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await cli.GetAsync("/api/v1/tokens")).StatusCode);
            var listed = await first.GetJson("/api/v1/tokens");
            var mine = listed.EnumerateArray().Single(t => t.GetProperty("description").GetString() == "bob laptop");
            Assert.Equal("person:sub-bob", mine.GetProperty("owner").GetString());
            Assert.Equal("person", mine.GetProperty("created_by").GetProperty("kind").GetString());
            Assert.Equal("Bob Operator", mine.GetProperty("created_by").GetProperty("description").GetString());

            // The operator removes the "ops" mapping and restarts: Bob's token fails at its next use; tokens of tokens do not.
            var port = first.BaseAddress.Port;
            await first.DisposeAsync();
            second = await OidcConsoleFixture.StartServer(provider, port, """{"groups": {"sower-admins": "admin"}}""", dataDir: first.DataDir);
            using var again = second.Client(token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await again.GetAsync("/api/v1/deployments")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await second.Admin.GetAsync("/api/v1/deployments")).StatusCode);
        }
        finally
        {
            if (second is not null) await second.DisposeAsync();
            else await first.DisposeAsync();
            await provider.DisposeAsync();
        }
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
