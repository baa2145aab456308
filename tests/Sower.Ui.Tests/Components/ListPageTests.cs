using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Tokens;
using Sower.Server.Ui.Components.Pages;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

public sealed class ListPageTests : ConsoleTestContext
{
    [Fact]
    public void The_gardens_list_turns_a_dot_online_when_a_session_starts()
    {
        var garden = Garden(Model, "web01", out _);
        var page = RenderPage<Gardens>(BrowserZone.Utc);
        Assert.Contains("dot-off", page.Find("tr[data-garden='web01'] .dot").ClassName);

        Model.Apply(new GardenEvents.GardenSessionStarted(garden, ConnectionId.New(), ConsoleTestContext.Now));

        page.WaitForAssertion(() => Assert.Contains("dot-on", page.Find("tr[data-garden='web01'] .dot").ClassName));
    }

    [Fact]
    public void The_approvals_page_lists_what_waits_with_rule_action_and_expiry()
    {
        Grant(Roles.DeploymentWrite);
        var garden = Garden(Model, "web01", out var sub);
        var d = Deployment(Model, garden, sub, Seed(Model, "web01"), awaiting: true);
        Deployment(Model, garden, sub, Seed(Model, "web01")); // dispatched: not listed

        var page = RenderPage<Approvals>(BrowserZone.Utc);

        var card = page.Find($"article[data-sid='{d.Sid.Value}']");
        Assert.Single(page.FindAll("article.approval"));
        Assert.Contains("careful", card.TextContent);
        Assert.Contains("activate", card.TextContent);
        Assert.Contains("in 24 h", card.TextContent);
        Assert.NotNull(card.QuerySelector("button.approve"));
    }

    [Fact]
    public void The_garden_page_shows_the_manual_decision_before_deploying_and_hides_the_button_when_read_only()
    {
        var confirm = PolicyJson.Parse(System.Text.Json.Nodes.JsonNode.Parse("""{"careful": {"actions": ["restart"], "triggers": ["manual"], "confirm": true}}"""), "policy").Value!;
        var garden = Garden(Model, "web01", out _, confirm);
        Seed(Model, "web01");

        var page = RenderPage<GardenDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, garden.Value));
        Assert.Equal("needs approval: restart", page.Find(".decision").TextContent);
        Assert.Empty(page.FindAll(".deploy-box button"));
        Assert.Equal(6, page.FindAll(".timeline-row").Count); // one row per trigger, recall included

        Grant(Roles.DeploymentWrite);
        var writer = RenderPage<GardenDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, garden.Value));
        Assert.Equal("Request deploy", writer.Find(".deploy-box button").TextContent);
    }

    [Fact]
    public void Times_are_shown_in_the_browser_zone()
    {
        var garden = Garden(Model, "web01", out var sub);
        var d = Deployment(Model, garden, sub, Seed(Model, "web01"));

        var page = RenderPage<DeploymentDetail>(BrowserZone.From("Asia/Tokyo"), p => p.Add(x => x.Sid, d.Sid.Value));

        Assert.Contains(page.FindAll("time"), t => t.TextContent == "2026-03-04 19:00:00" && t.GetAttribute("datetime") == "2026-03-04T10:00:00Z");
        Assert.Equal(BrowserZone.Utc, BrowserZone.From("Not/AZone"));
    }

    [Fact]
    public void The_overview_counts_and_flags_a_garden_that_keeps_failing()
    {
        var garden = Garden(Model, "db01", out var sub);
        for (var i = 0; i < 2; i++)
        {
            var d = Deployment(Model, garden, sub, Seed(Model, "db01"), at: ConsoleTestContext.Now - NodaTime.Duration.FromMinutes(10 - i));
            Model.Apply(new Sower.Messages.Deployments.DeploymentEvents.DeploymentCompleted(d.Sid, Sower.Messages.Deployments.DeploymentResult.Failure,
                ConsoleTestContext.Now, false, garden, ConsoleTestContext.Now));
        }
        var page = RenderPage<Overview>(BrowserZone.Utc);
        Assert.Equal("2", page.Find("#stat-failed").TextContent);
        Assert.Contains("failing: the last 2 deployments failed", page.Find(".panel-attention").TextContent);
        Assert.Equal("0", page.Find("#stat-online").TextContent);
    }
}

public sealed class RoleGateTests : ConsoleTestContext
{
    [Fact]
    public void A_token_without_garden_read_is_told_what_it_lacks_instead_of_seeing_gardens()
    {
        Garden(Model, "web01", out _);
        Auth.SetPolicies(Roles.SeedRead);

        var page = RenderPage<Gardens>(BrowserZone.Utc);

        Assert.Empty(page.FindAll("tr[data-garden]"));
        Assert.Contains("it needs the garden:read role", page.Find(".role-gate").TextContent);
    }

    [Fact]
    public void The_seed_page_hides_the_deployments_of_a_seed_from_a_token_without_deployment_read()
    {
        var garden = Garden(Model, "web01", out var sub);
        var seed = Seed(Model, "web01");
        Deployment(Model, garden, sub, seed);
        Auth.SetPolicies(Roles.SeedRead, Roles.GardenRead);

        var page = RenderPage<SeedDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, seed.Sid.Value));

        Assert.Contains("web01", page.Find("h1").TextContent);
        Assert.Empty(page.FindAll(".deployments-table"));
        Assert.Contains("deployment:read", page.Find(".role-gate").TextContent);
    }
}

public sealed class SortingTests : ConsoleTestContext
{
    [Fact]
    public void The_gardens_sort_by_name_by_default_and_the_sort_lives_in_the_url()
    {
        Garden(Model, "b-web", out _);
        Garden(Model, "a-db", out _);
        Garden(Model, "c-edge", out _);
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();

        var page = RenderPage<Gardens>(BrowserZone.Utc);
        Assert.Equal(["a-db", "b-web", "c-edge"], page.FindAll("tr[data-garden]").Select(r => r.GetAttribute("data-garden")));

        navigation.NavigateTo("/gardens?sort=name&desc=1");
        page.WaitForAssertion(() => Assert.Equal(["c-edge", "b-web", "a-db"], page.FindAll("tr[data-garden]").Select(r => r.GetAttribute("data-garden"))));
        Assert.Equal("descending", page.Find("th[aria-sort='descending']").GetAttribute("aria-sort"));
    }
}
