using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Gateway;
using Sower.Messages.Seeds;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using Sower.Server.Tests.Support;
using Sower.Server.Ui.Auth;
using Sower.Server.Ui.Services;
using static Microsoft.Playwright.Assertions;

namespace Sower.Ui.Tests.Browser;

/// <summary>
/// Fleet coordination in the console (issue 14) in headless Chromium against a real server, with test gardens speaking the
/// real gateway protocol: labels and the selector filter, inhibited gardens, a halted rollout resumed, a reboot lease
/// released. Each view also proves that a session without the role gets no button and that the console's own handler
/// refuses the action when it is invoked anyway.
/// </summary>
[Collection(SharedConsoleCollection.Name)]
public sealed class FleetConsoleBrowserTests(ConsoleFixture fx)
{
    private TestServer Server => fx.Server;

    private static bool HasPlan(JsonElement rollout) => rollout.TryGetProperty("plan", out var plan) && plan.ValueKind != JsonValueKind.Null;

    private static string Suffix() => Guid.NewGuid().ToString("N")[..6];

    private static Task<JsonElement> SyncWithLabels(TestGarden garden, Dictionary<string, string> labels, params object[] subscriptions) =>
        garden.Ok(GatewayProtocol.SubscriptionsSync, new { subscriptions, labels });

    private sealed class FixedUser(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    /// <summary>The console's action handlers of the running server, for a signed-in session holding only <paramref name="roles"/>:
    /// what a tampered page (a button the server never rendered) would reach.</summary>
    private ConsoleActions ActionsFor(params string[] roles)
    {
        var now = SystemClock.Instance.GetCurrentInstant();
        var info = new AccessTokenInfo(TokenId.New(), "tampering reader", [.. roles], null, "system", null, now, now);
        var user = AccessTokenPrincipal.Create(info, ConsoleAuthentication.CookieScheme);
        return new ConsoleActions(Server.Services.GetRequiredService<IAuthorizationService>(), new FixedUser(user), Server.Services);
    }

    private static async Task Complete(TestGarden garden, JsonElement push, string seedSid, string result)
    {
        var sid = push.GetProperty("sid").GetString();
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = sid, seed_sid = seedSid, result, action = "activate", log = "switch " + result });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = sid,
            result,
            deployed_at = DateTime.UtcNow.ToString("O")
        });
    }

    private static Func<string, JsonElement, bool> PushOf(string seedSid) => (n, p) =>
        n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean()
        && p.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString() == seedSid;

    [Fact]
    public async Task The_gardens_page_filters_by_label_selector_shows_labels_and_inhibited_gardens_and_a_bad_selector_says_why()
    {
        var s = Suffix();
        await using var web = await TestGarden.EnrollAndConnect(Server, "web-" + s);
        await using var db = await TestGarden.EnrollAndConnect(Server, "db-" + s);
        await SyncWithLabels(web, new() { ["role"] = "web-" + s, ["zone"] = "eu-1" });
        await SyncWithLabels(db, new() { ["role"] = "db-" + s, ["zone"] = "eu-1" });
        Assert.Equal(200, (await Server.PostJson($"/api/v1/gardens/{web.Sid}/labels", new { set = new { owner = "ops" } })).Status);
        await web.Ok(GatewayProtocol.GardenInhibition, new { inhibited = true, reason = "inhibit file /run/sower/inhibit exists" });

        var page = await fx.SignedIn(Server.AdminToken, "/gardens");
        var webRow = page.Locator($"tr[data-garden='{web.Name}']");
        var dbRow = page.Locator($"tr[data-garden='{db.Name}']");
        await Expect(webRow.Locator($".label-pill[data-label='role=web-{s}']")).ToBeVisibleAsync();
        await Expect(webRow.Locator(".label-pill[data-label='owner=ops']")).ToBeVisibleAsync();
        await Expect(dbRow).ToBeVisibleAsync();
        await Expect(webRow.Locator(".garden-inhibited")).ToHaveTextAsync("inhibited");
        await Expect(webRow.Locator(".inhibit-reason")).ToHaveTextAsync("inhibit file /run/sower/inhibit exists");
        await Expect(dbRow.Locator(".garden-inhibited")).ToHaveCountAsync(0);
        await ConsoleFixture.Mark(page);

        await page.Locator("#label-selector").FillAsync($"role=web-{s},zone=eu-1");
        await page.Locator("#label-selector").PressAsync("Enter");
        await Expect(dbRow).ToHaveCountAsync(0);
        await Expect(webRow).ToBeVisibleAsync();
        await ConsoleFixture.Screenshot(page, "gardens-labels");

        // Hostile selectors: the parser's own message, no exception, and no filter applied.
        foreach (var (selector, expected) in new[] { ("role=a b", "may contain only"), ("role=web,", "empty requirement"), ("x=1=2", "only one operator"),
                     (new string('k', 2000), "at most 1024") })
        {
            await page.Locator("#label-selector").FillAsync(selector);
            await page.Locator("#label-selector").PressAsync("Enter");
            await Expect(page.Locator(".selector-error")).ToContainTextAsync(expected);
            await Expect(dbRow).ToBeVisibleAsync();
        }
        await page.Locator("#label-selector").FillAsync($"!owner,zone=eu-1,role=db-{s}");
        await page.Locator("#label-selector").PressAsync("Enter");
        await Expect(page.Locator(".selector-error")).ToHaveCountAsync(0);
        await Expect(webRow).ToHaveCountAsync(0);
        await Expect(dbRow).ToBeVisibleAsync();
        await ConsoleFixture.AssertNotReloaded(page);

        // A label pill links to the gardens carrying it; the garden page tells its own labels from the admin's.
        await ConsoleFixture.Goto(page, $"/gardens?l=role%3Dweb-{s}");
        await Expect(page.Locator("#label-selector")).ToHaveValueAsync($"role=web-{s}");
        await Expect(dbRow).ToHaveCountAsync(0);
        await ConsoleFixture.Goto(page, "/gardens/" + web.Sid);
        await Expect(page.Locator("tr[data-label='role']")).ToHaveAttributeAsync("data-source", "config");
        await Expect(page.Locator("tr[data-label='owner']")).ToHaveAttributeAsync("data-source", "admin");
        await Expect(page.Locator(".garden-inhibition")).ToHaveAttributeAsync("data-inhibited", "true");
        await Expect(page.Locator(".garden-inhibition")).ToContainTextAsync("inhibit file /run/sower/inhibit exists");
        await Expect(page.Locator(".garden-lease")).ToContainTextAsync("none held");
        await ConsoleFixture.Screenshot(page, "garden-labels");
        await ConsoleFixture.Mark(page);

        // The inhibition ends: the page follows by itself.
        await web.Ok(GatewayProtocol.GardenInhibition, new { inhibited = false, reason = (string?)null });
        await Expect(page.Locator(".garden-inhibition")).ToHaveAttributeAsync("data-inhibited", "false");
        await ConsoleFixture.AssertNotReloaded(page);
    }

    [Fact]
    public async Task A_halted_rollout_is_shown_on_the_seed_page_and_an_operator_resumes_it_while_readers_get_no_buttons_and_no_action()
    {
        var s = Suffix();
        var line = "roll-" + s;
        await using var canary = await TestGarden.EnrollAndConnect(Server, line + "-canary");
        await using var web = await TestGarden.EnrollAndConnect(Server, line + "-web");
        await SyncWithLabels(canary, new() { ["role"] = "canary" }, Subscriptions.NixOS("system", line, Subscriptions.RealtimePolicy));
        await SyncWithLabels(web, new() { ["role"] = "web" }, Subscriptions.NixOS("system", line, Subscriptions.RealtimePolicy));
        var first = (await Seeds.Submit(Server, line)).GetProperty("sid").GetString()!;
        await Complete(canary, (await canary.NextPush(PushOf(first))).Payload, first, "success");
        await Complete(web, (await web.NextPush(PushOf(first))).Payload, first, "success");

        // An admin defines the plan on the seed page; a hostile plan is refused field by field and saves nothing.
        var page = await fx.SignedIn(Server.AdminToken, "/seeds/" + first);
        var panel = page.Locator("#rollout");
        await Expect(panel.Locator(".rollout-no-plan")).ToBeVisibleAsync();
        await panel.Locator("#edit-plan").ClickAsync();
        await panel.Locator("#plan-waves").FillAsync("rest\ncanary: role=\n150%\nx: a=b=c\n<script>alert(1)</script>");
        await panel.Locator("#plan-soak").FillAsync("soon");
        await panel.Locator("#plan-threshold").FillAsync("1e9");
        await panel.Locator("#save-plan").ClickAsync();
        var errors = panel.Locator(".plan-errors");
        await Expect(errors.Locator("li[data-path='waves[1]']")).ToContainTextAsync("must be the last wave");
        await Expect(errors.Locator("li[data-path='waves[2]']")).ToContainTextAsync("percentage");
        await Expect(errors.Locator("li[data-path='waves[3]']")).ToContainTextAsync("only one operator");
        await Expect(errors.Locator("li[data-path='soak']")).ToContainTextAsync("not a duration");
        await Expect(errors.Locator("li[data-path='success_threshold']")).ToContainTextAsync("from 1 to 100");
        await Expect(page.Locator("script", new() { HasText = "alert(1)" })).ToHaveCountAsync(0);
        var api = $"/api/v1/rollouts/nixos/{line}";
        Assert.False(HasPlan(await Server.GetJson(api)));

        await panel.Locator("#plan-waves").FillAsync("canary: role=canary\nrest");
        await panel.Locator("#plan-soak").FillAsync("0");
        await panel.Locator("#plan-threshold").FillAsync("100");
        await panel.Locator("#save-plan").ClickAsync();
        await Expect(panel.Locator(".rollout-message")).ToContainTextAsync("Plan saved");
        await Expect(panel.Locator(".plan-wave")).ToHaveTextAsync(["1. canary: role=canary", "2. rest"]);
        Assert.Equal(["canary: role=canary", "rest"], (await Server.GetJson(api)).GetProperty("plan").GetProperty("waves").EnumerateArray().Select(w => w.GetString()));
        await ConsoleFixture.Mark(page);

        // A new seed goes to the canary only; its failure halts the rollout, and the open page shows it by itself.
        var second = (await Seeds.Submit(Server, line)).GetProperty("sid").GetString()!;
        await Complete(canary, (await canary.NextPush(PushOf(second))).Payload, second, "failure");
        await Expect(panel.Locator(".rollout-halted")).ToContainTextAsync("1 of 1 failed");
        await Expect(panel.Locator(".rollout-status")).ToHaveAttributeAsync("data-status", "halted");
        await Expect(panel.Locator("tr[data-wave='1']")).ToHaveAttributeAsync("data-state", "halted");
        await Expect(panel.Locator("tr[data-wave='2']")).ToHaveAttributeAsync("data-state", "pending");
        await Expect(panel.Locator(".rollout-current-wave")).ToHaveTextAsync("1");
        await ConsoleFixture.AssertNotReloaded(page);
        await ConsoleFixture.Screenshot(page, "rollout-halted");
        Assert.True(await web.NoPushWithin(TimeSpan.FromSeconds(1), PushOf(second)));

        // A reader sees the halt but gets no button; an operator without admin may resume but not edit the plan.
        var reader = await fx.SignedIn(await Server.TokenWith(Roles.SeedRead, Roles.GardenRead, Roles.DeploymentRead), "/seeds/" + second);
        await Expect(reader.Locator("#rollout .rollout-halted")).ToBeVisibleAsync();
        await Expect(reader.Locator("#rollout .pill", new() { HasText = "this seed" })).ToBeVisibleAsync();
        await Expect(reader.Locator("#resume-rollout")).ToHaveCountAsync(0);
        await Expect(reader.Locator("#abort-rollout")).ToHaveCountAsync(0);
        await Expect(reader.Locator("#edit-plan")).ToHaveCountAsync(0);
        var operatorPage = await fx.SignedIn(await Server.TokenWith(Roles.SeedRead, Roles.DeploymentRead, Roles.DeploymentWrite), "/seeds/" + second);
        await Expect(operatorPage.Locator("#resume-rollout")).ToBeVisibleAsync();
        await Expect(operatorPage.Locator("#edit-plan")).ToHaveCountAsync(0);
        await operatorPage.Context.CloseAsync();
        await reader.Context.CloseAsync();

        // The console's handlers refuse without the role, whatever a page shows: nothing changes.
        var key = new SeedLineKey(SeedType.NixOS, line);
        var readOnly = ActionsFor(Roles.SeedRead, Roles.GardenRead, Roles.DeploymentRead);
        Assert.Contains("deployment:write", (await readOnly.ResumeRolloutAsync(key)).Message);
        Assert.False((await readOnly.AbortRolloutAsync(key)).Ok);
        var writer = ActionsFor(Roles.DeploymentWrite, Roles.SeedWrite);
        var refusedPlan = await writer.SetRolloutPlanAsync(key, ["rest"], null, null);
        Assert.False(refusedPlan.Outcome.Ok);
        Assert.Contains("admin", refusedPlan.Outcome.Message);
        Assert.False((await writer.ClearRolloutPlanAsync(key)).Ok);
        var after = await Server.GetJson(api);
        Assert.Equal("halted", after.GetProperty("rollout").GetProperty("status").GetString());
        Assert.Equal(2, after.GetProperty("plan").GetProperty("waves").GetArrayLength());

        // The admin resumes: the halted wave counts as passed and the rest get the seed.
        await panel.Locator("#resume-rollout").ClickAsync();
        await Expect(panel.Locator(".rollout-message")).ToContainTextAsync("Resumed");
        await web.NextPush(PushOf(second));
        await Expect(panel.Locator(".rollout-halted")).ToHaveCountAsync(0);
        await Expect(panel.Locator(".rollout-current-wave")).ToHaveTextAsync("2");
        await Expect(panel.Locator("tr[data-wave='2']")).ToHaveAttributeAsync("data-state", "running");
        await Expect(panel.Locator("#resume-rollout")).ToHaveCountAsync(0);

        // Clearing the plan (admin, with confirmation).
        await panel.Locator("#clear-plan").ClickAsync();
        await panel.Locator("#confirm-clear-plan").ClickAsync();
        await Expect(panel.Locator(".rollout-no-plan")).ToBeVisibleAsync();
        Assert.False(HasPlan(await Server.GetJson(api)));
    }

    [Fact]
    public async Task The_reboot_lock_page_shows_groups_lease_holders_and_inhibited_gardens_and_an_admin_releases_a_lease()
    {
        var s = Suffix();
        await using var holder = await TestGarden.EnrollAndConnect(Server, "rbl-" + s);
        await using var waiting = await TestGarden.EnrollAndConnect(Server, "quiet-" + s);
        await holder.Sync(Subscriptions.NixOS("system", holder.Name, Subscriptions.RealtimePolicy));
        var seed = (await Seeds.Submit(Server, holder.Name)).GetProperty("sid").GetString()!;
        var deployment = (await holder.NextPush(PushOf(seed))).Payload.GetProperty("sid").GetString()!;
        var group = "web-" + s;
        var rules = await Server.Admin.PutAsync("/api/v1/reboot-locks/rules", System.Net.Http.Json.JsonContent.Create(
            new { rules = new[] { new { group, selector = "name=" + holder.Name, max_concurrent_reboots = 2 } } }));
        Assert.True(rules.IsSuccessStatusCode, await rules.Content.ReadAsStringAsync());
        Assert.True((await holder.Ok(GatewayProtocol.RebootLockAcquire, new { deployment_sid = deployment })).GetProperty("granted").GetBoolean());

        var page = await fx.SignedIn(Server.AdminToken, "/reboot-locks");
        var groupRow = page.Locator($"tr[data-group='{group}']");
        await Expect(groupRow.Locator(".group-cap")).ToHaveTextAsync("2");
        await Expect(groupRow.Locator(".group-in-use")).ToContainTextAsync("1 of 2");
        await Expect(groupRow.Locator(".group-in-use")).ToContainTextAsync(holder.Name);
        await Expect(page.Locator("tr[data-group='default']")).ToBeVisibleAsync();
        var lease = page.Locator($"tr[data-lease='{holder.Name}']");
        await Expect(lease).ToContainTextAsync(group);
        await Expect(lease).ToContainTextAsync(deployment);
        await ConsoleFixture.Mark(page);

        // A garden says "not now": the open page lists it by itself.
        await waiting.Ok(GatewayProtocol.GardenInhibition, new { inhibited = true, reason = "inhibit_command exited 1" });
        await Expect(page.Locator($"tr[data-inhibited='{waiting.Name}'] .inhibit-reason")).ToHaveTextAsync("inhibit_command exited 1");
        await ConsoleFixture.AssertNotReloaded(page);
        await ConsoleFixture.Screenshot(page, "reboot-locks");

        // The garden page says it holds the lease.
        var gardenPage = await fx.SignedIn(Server.AdminToken, "/gardens/" + holder.Sid);
        await Expect(gardenPage.Locator(".garden-lease")).ToHaveAttributeAsync("data-lease", "true");
        await Expect(gardenPage.Locator(".garden-lease")).ToContainTextAsync(group);
        await gardenPage.Context.CloseAsync();

        // A reader sees the holders but cannot release, neither by a button nor by the handler itself.
        var reader = await fx.SignedIn(await Server.TokenWith(Roles.GardenRead, Roles.DeploymentWrite), "/reboot-locks");
        await Expect(reader.Locator($"tr[data-lease='{holder.Name}']")).ToBeVisibleAsync();
        await Expect(reader.Locator("button.release-lease")).ToHaveCountAsync(0);
        await reader.Context.CloseAsync();
        var refused = await ActionsFor(Roles.GardenRead, Roles.DeploymentWrite, Roles.SeedWrite).ReleaseRebootLeaseAsync(new GardenId(holder.Sid));
        Assert.False(refused.Ok);
        Assert.Contains("admin", refused.Message);
        Assert.Contains((await Server.GetJson("/api/v1/reboot-locks")).GetProperty("leases").EnumerateArray(),
            l => l.GetProperty("garden_sid").GetString() == holder.Sid);

        // The admin releases it.
        await lease.Locator("button.release-lease").ClickAsync();
        await lease.Locator("button.confirm-release").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Released");
        await Expect(lease).ToHaveCountAsync(0);
        await Expect(groupRow.Locator(".group-in-use")).ToContainTextAsync("0 of 2");
        Assert.DoesNotContain((await Server.GetJson("/api/v1/reboot-locks")).GetProperty("leases").EnumerateArray(),
            l => l.GetProperty("garden_sid").GetString() == holder.Sid);
        await waiting.Ok(GatewayProtocol.GardenInhibition, new { inhibited = false, reason = (string?)null });
        await Expect(page.Locator($"tr[data-inhibited='{waiting.Name}']")).ToHaveCountAsync(0);
        await Server.Admin.PutAsync("/api/v1/reboot-locks/rules", System.Net.Http.Json.JsonContent.Create(new { rules = Array.Empty<object>() }));
    }
}
