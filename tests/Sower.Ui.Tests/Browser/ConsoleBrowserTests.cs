using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sower.Ui.Tests.Browser;

/// <summary>The console in headless Chromium against a running server, with test gardens speaking the real gateway protocol.</summary>
[Collection(SharedConsoleCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleFixture fx, Xunit.Abstractions.ITestOutputHelper output)
{
    private TestServer Server => fx.Server;

    [Fact]
    public async Task Signing_in_with_a_token_opens_the_console_and_signing_out_ends_the_session()
    {
        var page = await fx.NewPage();
        await page.GotoAsync("/gardens");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?returnUrl=%2Fgardens"));

        await page.Locator("#token").FillAsync("sower_qwertyuiopasdfghjklzxcvb_" + Convert.ToBase64String(new byte[48]));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid");

        await page.Locator("#token").FillAsync(Server.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ConsoleFixture.WaitInteractive(page);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Gardens");
        await page.GotoAsync("/signin");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview"); // already signed in

        await page.Locator("#sign-out").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You are signed out");
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
    }

    [Fact]
    public async Task A_garden_connecting_turns_its_dot_online_live()
    {
        var page = await fx.SignedIn(Server.AdminToken, "/gardens");
        var name = "live-" + Guid.NewGuid().ToString("N")[..6];
        var (status, body) = await Server.PostJson("/api/v1/gardens/register", new { name, host_identifier = "host-" + name });
        Assert.Equal(201, status);
        var row = page.Locator($"tr[data-garden='{name}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.Locator(".dot")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("dot-off"));
        await ConsoleFixture.Mark(page);

        await using var garden = await TestGarden.Connect(Server, body.GetProperty("sid").GetString()!, name, body.GetProperty("credential").GetString()!);
        var joined = System.Diagnostics.Stopwatch.StartNew();
        await garden.Ok(GatewayProtocol.Join, new { protocol_version = GatewayProtocol.Version, version = "1.2.3" });

        await page.WaitForFunctionAsync("n => document.querySelector(`tr[data-garden='${n}'] .dot`)?.classList.contains('dot-on')", name,
            new PageWaitForFunctionOptions { PollingInterval = 10 });
        output.WriteLine($"join call to online dot in the browser: {joined.ElapsedMilliseconds} ms (measured, not asserted)");
        await Expect(row).ToContainTextAsync("online");
        await ConsoleFixture.AssertNotReloaded(page);

        await garden.Connection.StopAsync();
        await Expect(row.Locator(".dot")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("dot-off"));
        await ConsoleFixture.AssertNotReloaded(page);
    }

    [Fact]
    public async Task A_deployment_page_streams_the_log_and_follows_the_state_without_reloading()
    {
        await using var garden = await TestGarden.EnrollAndConnect(Server, "stream-" + Guid.NewGuid().ToString("N")[..6]);
        var subs = await garden.Sync(Subscriptions.NixOS("system", garden.Name, Subscriptions.RealtimePolicy));
        var seed = await Seeds.Submit(Server, garden.Name, tags: ("git_branch", "main"));
        var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        var sid = push.GetProperty("sid").GetString()!;
        var seedSid = seed.GetProperty("sid").GetString()!;

        var page = await fx.SignedIn(Server.AdminToken, "/deployments/" + sid);
        var status = page.Locator("#deployment-status");
        await Expect(status).ToHaveAttributeAsync("data-status", "dispatched");
        await ConsoleFixture.Mark(page);

        await garden.Ok(GatewayProtocol.DeploymentStatus, new { deployment_sid = sid, status = "acknowledged" });
        await Expect(status).ToHaveAttributeAsync("data-status", "acknowledged");
        await garden.Ok(GatewayProtocol.DeploymentSeedStatus, new { deployment_sid = sid, seed_sid = seedSid, status = "downloading" });
        var card = page.Locator($"article[data-seed='{seedSid}']");
        await Expect(card.Locator(".seed-status")).ToHaveAttributeAsync("data-status", "downloading");
        var logged = System.Diagnostics.Stopwatch.StartNew();
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new
        {
            deployment_sid = sid,
            seed_sid = seedSid,
            result = (string?)null,
            action = (string?)null,
            log = "copying path '/nix/store/…-nixos-system' from 'https://cache.example'"
        });
        await page.WaitForFunctionAsync("s => document.querySelector(`article[data-seed='${s}'] .log-view`)?.textContent.includes('copying path')", seedSid,
            new PageWaitForFunctionOptions { PollingInterval = 10 });
        output.WriteLine($"log line from the garden to the browser: {logged.ElapsedMilliseconds} ms (measured, not asserted)");
        await garden.Ok(GatewayProtocol.DeploymentSeedStatus, new { deployment_sid = sid, seed_sid = seedSid, status = "activating" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new
        {
            deployment_sid = sid,
            seed_sid = seedSid,
            result = (string?)null,
            action = (string?)null,
            log = "activating the configuration...\nsetting up /etc...\nreloading user units for root..."
        });
        await Expect(card.Locator(".log-view")).ToContainTextAsync("reloading user units");
        await Expect(card.Locator(".log-view")).ToContainTextAsync("copying path");
        await ConsoleFixture.Screenshot(page, "deployment-streaming");

        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new
        {
            deployment_sid = sid,
            seed_sid = seedSid,
            result = "success",
            action = "activate",
            log = "switched to generation 42"
        });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = sid,
            result = "success",
            deployed_at = DateTime.UtcNow.ToString("O")
        });
        await Expect(status).ToHaveAttributeAsync("data-status", "success");
        await Expect(card.Locator(".seed-status")).ToHaveAttributeAsync("data-status", "success");
        await Expect(page.Locator("li[data-event='completed']")).ToBeVisibleAsync();
        await Expect(page.Locator("#retry")).ToBeVisibleAsync();
        await ConsoleFixture.AssertNotReloaded(page);
        await ConsoleFixture.Screenshot(page, "deployment");
        _ = subs;
    }

    [Fact]
    public async Task Approving_a_deployment_dispatches_it_to_the_garden()
    {
        await using var garden = await TestGarden.EnrollAndConnect(Server, "careful-" + Guid.NewGuid().ToString("N")[..6]);
        await garden.Sync(Subscriptions.NixOS("system", garden.Name, Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(Server, garden.Name);
        var waiting = await Wait.ForAsync(async () =>
        {
            var list = await Server.GetJson("/api/v1/deployments?state=awaiting_approval&garden=" + garden.Name);
            return list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sid").GetString()).FirstOrDefault();
        }, "a deployment awaiting approval");

        var page = await fx.SignedIn(Server.AdminToken, "/approvals");
        var card = page.Locator($"article[data-sid='{waiting}']");
        await Expect(card).ToContainTextAsync("careful");
        await Expect(card).ToContainTextAsync("activate");
        await ConsoleFixture.Screenshot(page, "approvals");
        await ConsoleFixture.Mark(page);

        // By keyboard: the actions are real buttons.
        await card.Locator("button.approve").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(card).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Approved");
        var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && p.GetProperty("sid").GetString() == waiting);
        Assert.True(push.GetProperty("approved").GetBoolean());
        await ConsoleFixture.AssertNotReloaded(page);

        await ConsoleFixture.Goto(page, "/deployments/" + waiting);
        await Expect(page.Locator("#deployment-status")).ToHaveAttributeAsync("data-status", "dispatched");
        await Expect(page.Locator("li[data-event='approved']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Deploy_now_opens_the_new_deployment_and_retry_links_a_child_to_it()
    {
        await using var garden = await TestGarden.EnrollAndConnect(Server, "manual-" + Guid.NewGuid().ToString("N")[..6]);
        await garden.Sync(Subscriptions.NixOS("system", garden.Name));
        var seed = await Seeds.Submit(Server, garden.Name, tags: ("git_branch", "wip"));
        var seedSid = seed.GetProperty("sid").GetString()!;

        var page = await fx.SignedIn(Server.AdminToken, "/gardens/" + garden.Sid);
        await Expect(page.Locator(".decision")).ToHaveTextAsync("allowed: activate");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deploy now" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/deployments/dply_"));
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Deployment created");
        var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        var sid = push.GetProperty("sid").GetString()!;
        Assert.EndsWith("/deployments/" + sid, page.Url.Split('?')[0]);
        await Expect(page.Locator("li[data-event='created']")).ToContainTextAsync("user triggered");

        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = sid, seed_sid = seedSid, result = "failure", action = "none", log = "activation failed" });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = sid,
            result = "failure",
            deployed_at = DateTime.UtcNow.ToString("O")
        });
        await Expect(page.Locator("#deployment-status")).ToHaveAttributeAsync("data-status", "failure");
        await page.Locator("#retry").ClickAsync();
        await Expect(page.Locator("dt", new() { HasText = "Retry of" })).ToBeVisibleAsync();
        await Expect(page.Locator("a", new() { HasText = sid })).ToBeVisibleAsync();
        var (_, retried) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && p.GetProperty("sid").GetString() != sid);
        Assert.EndsWith("/deployments/" + retried.GetProperty("sid").GetString(), page.Url.Split('?')[0]);

        // The seed page: deploy exactly this seed, then retire it (audited, through the seed's actor).
        await ConsoleFixture.Goto(page, "/seeds/" + seedSid);
        await Expect(page.Locator("button.deploy-seed")).ToBeEnabledAsync();
        var tagRow = page.Locator("tr[data-tag='git_branch=wip']");
        await tagRow.Locator("button.remove-tag").ClickAsync();
        await tagRow.Locator("button.confirm-remove").ClickAsync();
        await Expect(tagRow).ToHaveCountAsync(0);
        Assert.Empty((await Server.GetJson("/api/v1/seeds/" + seedSid)).GetProperty("tags").EnumerateArray());
        await page.GetByRole(AriaRole.Button, new() { Name = "Retire…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Retire", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retired");
        await Expect(page.Locator("h1 .pill", new() { HasText = "retired" })).ToBeVisibleAsync();
        Assert.True((await Server.GetJson("/api/v1/seeds/" + seedSid)).GetProperty("retired").GetBoolean());
    }

    [Fact]
    public async Task A_read_only_token_sees_everything_but_gets_no_action_buttons()
    {
        await using var garden = await TestGarden.EnrollAndConnect(Server, "ro-" + Guid.NewGuid().ToString("N")[..6]);
        await garden.Sync(Subscriptions.NixOS("system", garden.Name, Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(Server, garden.Name);
        var waiting = await Wait.ForAsync(async () =>
        {
            var list = await Server.GetJson("/api/v1/deployments?state=awaiting_approval&garden=" + garden.Name);
            return list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sid").GetString()).FirstOrDefault();
        }, "a deployment awaiting approval");
        var reader = await Server.TokenWith(Roles.GardenRead, Roles.SeedRead, Roles.DeploymentRead);

        var page = await fx.SignedIn(reader, "/deployments/" + waiting);
        await Expect(page.Locator("#deployment-status")).ToHaveAttributeAsync("data-status", "awaiting_approval");
        await Expect(page.Locator(".pill", new() { HasText = "read-only" })).ToBeVisibleAsync();
        await Expect(page.Locator("#approve")).ToHaveCountAsync(0);
        await ConsoleFixture.Goto(page, "/gardens/" + garden.Sid);
        await Expect(page.Locator(".subscription")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Deploy now" })).ToHaveCountAsync(0);

        // The server refuses anyway: the same token against the API.
        using var api = Server.Client(reader);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsync($"/api/v1/deployments/{waiting}/approve", null)).StatusCode);
    }

    [Fact]
    public async Task A_token_created_in_the_console_works_once_shown_and_stops_working_when_revoked()
    {
        var page = await fx.SignedIn(Server.AdminToken, "/settings/tokens");
        var description = "ci pipeline " + Guid.NewGuid().ToString("N")[..6];
        await page.Locator("#token-description").FillAsync(description);
        await page.Locator("#create-token").ClickAsync();
        var secret = page.Locator("#new-token-value");
        await Expect(secret).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^sower_"));
        var token = await secret.InputValueAsync();
        await Expect(page.Locator("#new-token")).ToContainTextAsync("cannot be shown again");
        await ConsoleFixture.Screenshot(page, "tokens");

        using var api = Server.Client(token);
        var verify = await api.GetAsync("/api/v1/auth/verify");
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        var roles = JsonDocument.Parse(await verify.Content.ReadAsStringAsync()).RootElement.GetProperty("permissions").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Contains(Roles.DeploymentRead, roles);

        var row = page.Locator($"tr[data-description='{description}']");
        await Expect(row).ToBeVisibleAsync();
        await row.Locator("button.revoke").ClickAsync();
        await row.Locator("button.confirm-revoke").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Revoked");
        await Expect(row).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/auth/verify")).StatusCode);
    }

    [Fact]
    public async Task Revoking_the_sessions_own_token_ends_the_session()
    {
        var token = await Server.TokenWith(Roles.GardenRead, Roles.DeploymentWrite);
        var page = await fx.SignedIn(token, "/settings/tokens");
        var own = page.Locator("tr", new() { Has = page.Locator(".pill", new() { HasText = "this session" }) });
        await own.Locator("button.revoke").ClickAsync();
        await own.Locator("button.confirm-revoke").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("was revoked");
        await page.GotoAsync("/deployments");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
    }

    [Fact]
    public async Task The_token_page_follows_the_token_rules_read_only_tokens_manage_nothing_and_writers_see_only_their_own()
    {
        var reader = await Server.TokenWith(Roles.SeedRead, Roles.GardenRead);
        var page = await fx.SignedIn(reader, "/settings/tokens");
        await Expect(page.Locator(".alert-error")).ToContainTextAsync("may not manage access tokens");
        await Expect(page.Locator("#create-token")).ToHaveCountAsync(0);
        await Expect(page.Locator("tr[data-token]")).ToHaveCountAsync(0);

        var writer = await Server.TokenWith(Roles.SeedWrite);
        page = await fx.SignedIn(writer, "/settings/tokens");
        await Expect(page.Locator("tr[data-token]")).ToHaveCountAsync(1);
        await Expect(page.Locator($"tr[data-token='{Server.AdminToken.Split('_')[1]}']")).ToHaveCountAsync(0);
        await page.Locator("#token-description").FillAsync("writer child");
        await page.Locator("input[type=checkbox][value='seed:write']").CheckAsync();
        await page.Locator("#token-expiry").FillAsync("2999-12-31");
        await page.Locator("#create-token").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("expires_on: must not be later than the expiry of the requesting token");
        await Expect(page.Locator("tr[data-token]")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Deleting_a_garden_revokes_its_credential_and_removes_it_from_the_list()
    {
        await using var garden = await TestGarden.EnrollAndConnect(Server, "gone-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await fx.SignedIn(Server.AdminToken, "/gardens/" + garden.Sid);
        await Expect(page.Locator("#garden-presence")).ToHaveTextAsync("online");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete…" }).ClickAsync();
        await page.Locator("#delete-garden").ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/gardens\\?notice="));
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Garden deleted");
        await Expect(page.Locator($"tr[data-garden='{garden.Name}']")).ToHaveCountAsync(0);
        using var credential = Server.Client(garden.Credential);
        Assert.Equal(HttpStatusCode.Unauthorized, (await credential.GetAsync("/api/v1/auth/verify")).StatusCode);
    }
}
