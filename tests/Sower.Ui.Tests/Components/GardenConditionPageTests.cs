using Bunit;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gardens;
using Sower.Server.Ui.Components.Pages;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

/// <summary>Reboot pending and drift (issue 16.4) on the overview, the gardens list and the garden page, live as reported.</summary>
public sealed class GardenConditionPageTests : ConsoleTestContext
{
    private const string B = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-b";
    private const string A = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-a";

    [Fact]
    public void A_reported_reboot_pending_and_drift_show_on_the_overview_the_list_and_the_garden_page_and_clear_when_reported_gone()
    {
        var garden = Garden(Model, "web01", out _);
        var overview = RenderPage<Overview>(BrowserZone.Utc);
        var list = RenderPage<Gardens>(BrowserZone.Utc);
        Assert.Empty(list.FindAll("tr[data-garden='web01'] .garden-drifted"));

        Model.Apply(new GardenConditionEvents.GardenConditionReported(garden, new RebootPending(B, "kernel_changed", ConsoleTestContext.Now),
            new Drift(B, A, "the system profile points at another system than Sower deployed", ConsoleTestContext.Now), ConsoleTestContext.Now));

        overview.WaitForAssertion(() =>
        {
            Assert.Contains("reboot pending: kernel changed", overview.Find(".panel-attention").TextContent);
            Assert.Contains("drifted: the system profile points at another system than Sower deployed", overview.Find(".panel-attention").TextContent);
        });
        list.WaitForAssertion(() =>
        {
            Assert.Equal("reboot pending", list.Find("tr[data-garden='web01'] .garden-reboot-pending").TextContent);
            Assert.Equal("drifted", list.Find("tr[data-garden='web01'] .garden-drifted").TextContent);
        });
        var page = RenderPage<GardenDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, garden.Value));
        Assert.Contains(B, page.Find(".garden-reboot-pending").TextContent);
        Assert.Contains(A, page.Find(".garden-drifted").TextContent);

        Model.Apply(new GardenConditionEvents.GardenConditionReported(garden, null, null, ConsoleTestContext.Now));
        list.WaitForAssertion(() => Assert.Empty(list.FindAll("tr[data-garden='web01'] .status")));
        overview.WaitForAssertion(() => Assert.DoesNotContain("drifted", overview.Markup));
    }
}
