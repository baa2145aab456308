using Bunit;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Server.Ui.Components.Pages;
using Sower.Server.Ui.Services;
using static Sower.Messages.Deployments.DeploymentEvents;

namespace Sower.Ui.Tests.Components;

public sealed class DeploymentPageTests : ConsoleTestContext
{
    [Fact]
    public void A_deployment_awaiting_approval_offers_approve_and_reject_to_a_writer_with_the_rule_and_action()
    {
        Grant(Roles.DeploymentWrite);
        var garden = Garden(Model, "web01", out var sub);
        var d = Deployment(Model, garden, sub, Seed(Model, "web01"), awaiting: true);

        var page = RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, d.Sid.Value));

        Assert.Equal("awaiting_approval", page.Find("#deployment-status").GetAttribute("data-status"));
        Assert.NotNull(page.Find("#approve"));
        Assert.NotNull(page.Find("#reject"));
        Assert.Empty(page.FindAll("#retry"));
        Assert.Contains("Rule careful asks for confirmation", page.Find(".callout-warn").TextContent);
        Assert.Contains("activate", page.Find(".callout-warn").TextContent);
    }

    [Fact]
    public void A_read_only_session_gets_no_action_buttons()
    {
        var garden = Garden(Model, "web01", out var sub);
        var d = Deployment(Model, garden, sub, Seed(Model, "web01"), awaiting: true);

        var page = RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, d.Sid.Value));

        Assert.Empty(page.FindAll("#approve"));
        Assert.Empty(page.FindAll("#reject"));
        Assert.Empty(page.FindAll("#retry"));
    }

    [Fact]
    public void The_log_and_state_follow_the_read_model_as_events_arrive()
    {
        var garden = Garden(Model, "web01", out var sub);
        var seed = Seed(Model, "web01");
        var d = Deployment(Model, garden, sub, seed);
        var page = RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, d.Sid.Value));
        Assert.Equal("dispatched", page.Find("#deployment-status").GetAttribute("data-status"));

        Model.Apply(new DeploymentAcknowledged(d.Sid, ConsoleTestContext.Now),
            new SeedStatusChanged(d.Sid, seed.Sid, SeedDeploymentState.Downloading, ConsoleTestContext.Now),
            new SeedResultRecorded(d.Sid, seed.Sid, null, null, "copying path one", ConsoleTestContext.Now));
        page.WaitForAssertion(() =>
        {
            Assert.Equal("acknowledged", page.Find("#deployment-status").GetAttribute("data-status"));
            Assert.Equal("copying path one", page.Find(".log-view").TextContent);
        });

        Model.Apply(new SeedResultRecorded(d.Sid, seed.Sid, SeedResult.Success, ExecutedAction.Activate, "switched", ConsoleTestContext.Now),
            new DeploymentCompleted(d.Sid, DeploymentResult.Success, ConsoleTestContext.Now, false, garden, ConsoleTestContext.Now));
        page.WaitForAssertion(() =>
        {
            Assert.Equal("success", page.Find("#deployment-status").GetAttribute("data-status"));
            Assert.Equal("copying path one\nswitched", page.Find(".log-view").TextContent);
            Assert.Equal(4, page.FindAll(".step-done").Count);
        });
    }

    [Fact]
    public void Retry_shows_exactly_where_the_server_allows_it()
    {
        Grant(Roles.DeploymentWrite);
        var garden = Garden(Model, "web01", out var sub);
        var seed = Seed(Model, "web01");
        var done = Deployment(Model, garden, sub, seed, at: ConsoleTestContext.Now - Duration.FromHours(1));
        Model.Apply(new DeploymentCompleted(done.Sid, DeploymentResult.Partial, ConsoleTestContext.Now, false, garden, ConsoleTestContext.Now));
        var running = Deployment(Model, garden, sub, Seed(Model, "web01"));

        var page = RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, done.Sid.Value));
        Assert.NotNull(page.Find("#retry"));
        Assert.Empty(RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, running.Sid.Value)).FindAll("#retry"));

        // A retry child still in flight hides the button (retry_in_progress).
        Deployment(Model, garden, sub, seed, parent: done.Sid);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("#retry")));
    }

    [Fact]
    public void An_unknown_audit_event_is_shown_generically_instead_of_breaking_the_page()
    {
        var garden = Garden(Model, "web01", out var sub);
        var d = Deployment(Model, garden, sub, Seed(Model, "web01"));
        var sid = DeploymentId.New();
        var odd = d with { Sid = sid, Events = d.Events.Add(new DeploymentAuditEvent("garden_rebooted", "kernel_changed", Actor.Garden(garden), ConsoleTestContext.Now, "5.15 → 6.6")) };
        Model.Apply(new DeploymentCreated(sid, odd));

        var page = RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, sid.Value));

        Assert.Equal("garden rebooted (kernel changed): 5.15 → 6.6", page.Find("li[data-event='garden_rebooted'] .activity-text").TextContent);
    }

    [Fact]
    public void An_unknown_deployment_id_shows_not_found()
    {
        var page = RenderPage<DeploymentDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, "dply_doesnotexist"));
        Assert.Equal("Deployment not found", page.Find("h1").TextContent);
    }
}
