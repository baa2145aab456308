using Microsoft.Playwright;
using NodaTime;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sower.Ui.Tests.Browser;

/// <summary>
/// Builds a small realistic fleet through the real API and gateway (an online web server with a windowed restart policy,
/// a database host that keeps failing, a held subscription, an approval, a user garden offline) and checks what each
/// main page shows, saving it to docs/screenshots at desktop and phone width.
/// </summary>
public sealed class ConsoleScreenshotTests(ConsoleFixture fx) : IClassFixture<ConsoleFixture>
{
    private TestServer Server => fx.Server;

    [Fact]
    public async Task The_main_pages_show_a_fleet_at_a_glance_at_desktop_and_phone_width()
    {
        var tomorrow = DateTime.UtcNow.AddDays(1).DayOfWeek.ToString()[..3].ToLowerInvariant();
        var webPolicy = new Dictionary<string, object>
        {
            ["everyday"] = new { actions = new[] { "activate" }, triggers = new[] { "manual", "realtime", "poll_on_connect" } },
            ["nightly-reboot"] = new { actions = new[] { "restart" }, triggers = new[] { "scheduled" }, window = new { time_start = "02:00", time_end = "04:30", days = new[] { "sat", "sun" } }, confirm = true },
            ["weekday-stage"] = new { actions = new[] { "stage" }, triggers = new[] { "scheduled" }, window = new { time_start = "09:00", time_end = "17:00", days = new[] { "mon", "tue", "wed", "thu", "fri" } } },
        };
        var heldPolicy = new Dictionary<string, object>
        {
            ["maintenance"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "manual" }, window = new { time_start = "00:00", time_end = "23:59", days = new[] { tomorrow } } },
        };

        await using var web = await TestGarden.EnrollAndConnect(Server, "web01");
        await web.Ok(GatewayProtocol.GardenReport, new { version = "0.1.0" });
        await web.Sync(Subscriptions.NixOS("system", "web01", webPolicy, schedule: "30 2 * * sat,sun"));
        var webSeed = await Seeds.Submit(Server, "web01", tags: [("git_branch", "main"), ("system", "x86_64-linux"), ("nixos_version", "24.05")]);
        var (_, push) = await web.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        await Complete(web, push, webSeed.GetProperty("sid").GetString()!, "success", "activate", "switched to configuration\nstarting nginx.service");
        await web.Ok(GatewayProtocol.GardenSeedsReport, new
        {
            profiles = new[]
            {
                new
                {
                    profile_path = "/nix/var/nix/profiles/system", tags = new Dictionary<string, string>(),
                    generations = new[] { new { path = webSeed.GetProperty("artifact").GetString(), link = "/nix/var/nix/profiles/system-42-link",
                        created = DateTime.UtcNow.ToString("O"), generation_number = 42, is_current = true } },
                },
            },
        });

        await using var db = await TestGarden.EnrollAndConnect(Server, "db01");
        await db.Ok(GatewayProtocol.GardenReport, new { version = "0.1.0" });
        await db.Sync(Subscriptions.NixOS("system", "db01", Subscriptions.RealtimePolicy));
        for (var i = 0; i < 2; i++)
        {
            var seed = await Seeds.Submit(Server, "db01", tags: ("git_branch", "main"));
            var (_, p) = await db.NextPush((n, x) => n == GatewayProtocol.PushDeployment && !x.GetProperty("skipped").GetBoolean()
                                                      && x.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString() == seed.GetProperty("sid").GetString());
            await Complete(db, p, seed.GetProperty("sid").GetString()!, "failure", "none", "error: builder for '/nix/store/…-postgresql-16.drv' failed with exit code 1");
        }

        await using var edge = await TestGarden.EnrollAndConnect(Server, "edge01");
        await edge.Sync(Subscriptions.NixOS("system", "edge01", heldPolicy), Subscriptions.NixOS("approval", "edge01-canary", Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(Server, "edge01", tags: ("git_branch", "main"));
        await Seeds.Submit(Server, "edge01-canary", tags: ("git_branch", "canary"));
        await Wait.ForAsync(async () => (await Server.GetJson("/api/v1/deployments?state=awaiting_approval&garden=edge01")).GetProperty("total").GetInt32() > 0 ? "ok" : null,
            "the canary deployment awaiting approval");

        var (status, _) = await Server.PostJson("/api/v1/gardens/register", new { name = "alice-laptop", host_identifier = "alice-laptop-host" });
        Assert.Equal(201, status);

        var page = await fx.SignedIn(Server.AdminToken);
        await Expect(page.Locator("#stat-online")).ToHaveTextAsync("3");
        await Expect(page.Locator("#stat-approvals")).ToHaveTextAsync("1");
        await Expect(page.Locator("#stat-held")).ToHaveTextAsync("1");
        await Expect(page.Locator("#stat-failed")).ToHaveTextAsync("2");
        await Expect(page.Locator(".panel-attention")).ToContainTextAsync("db01");
        await ConsoleFixture.Screenshot(page, "overview");

        await ConsoleFixture.Goto(page, "/gardens");
        await Expect(page.Locator("tr[data-garden='web01']")).ToContainTextAsync("web01");
        await ConsoleFixture.Screenshot(page, "gardens");

        await ConsoleFixture.Goto(page, "/gardens/" + web.Sid);
        await Expect(page.Locator(".policy-table")).ToContainTextAsync("requires confirmation");
        await Expect(page.Locator(".timeline-row")).ToHaveCountAsync(6); // one row per trigger, recall included
        await Expect(page.Locator(".decision")).ToContainTextAsync("allowed: activate");
        await ConsoleFixture.Screenshot(page, "garden");

        await ConsoleFixture.Goto(page, "/seeds");
        await ConsoleFixture.Screenshot(page, "seeds");
        await ConsoleFixture.Goto(page, "/seeds/" + webSeed.GetProperty("sid").GetString());
        await Expect(page.Locator(".tags-table")).ToContainTextAsync("nixos_version");
        await ConsoleFixture.Screenshot(page, "seed");

        await ConsoleFixture.Goto(page, "/deployments");
        await ConsoleFixture.Screenshot(page, "deployments");

        await ConsoleFixture.Goto(page, "/cluster");
        await Expect(page.Locator(".members-table")).ToContainTextAsync("up");
        await ConsoleFixture.Screenshot(page, "cluster");

        var phone = await fx.SignedIn(Server.AdminToken, "/", width: 390, height: 844);
        await Expect(phone.Locator("#stat-online")).ToHaveTextAsync("3");
        await ConsoleFixture.Screenshot(phone, "overview-phone");
        await ConsoleFixture.Goto(phone, "/gardens/" + web.Sid);
        await ConsoleFixture.Screenshot(phone, "garden-phone", fullPage: false);

        var signin = await fx.NewPage();
        await signin.GotoAsync("/signin");
        await ConsoleFixture.Screenshot(signin, "signin", fullPage: false);
    }

    private static async Task Complete(TestGarden garden, System.Text.Json.JsonElement push, string seedSid, string result, string action, string log)
    {
        var sid = push.GetProperty("sid").GetString();
        await garden.Ok(GatewayProtocol.DeploymentStatus, new { deployment_sid = sid, status = "acknowledged" });
        await garden.Ok(GatewayProtocol.DeploymentSeedStatus, new { deployment_sid = sid, seed_sid = seedSid, status = "completed" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = sid, seed_sid = seedSid, result = result == "success" ? "success" : "failure", action, log });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = sid,
            result,
            deployed_at = DateTime.UtcNow.ToString("O")
        });
    }
}
