using Bunit;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Server.Ui.Components.Pages;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

/// <summary>The gardens list's label selector (issue 14.1) over a read model fed with real label events: the one parser,
/// its message for a bad selector, and labels from the config told apart from an admin's on the garden page.</summary>
public sealed class LabelFilterPageTests : ConsoleTestContext
{
    private (GardenId Web, GardenId Db) Fleet()
    {
        var web = Garden(Model, "web01", out _);
        var db = Garden(Model, "db01", out _);
        Model.Apply(new GardenEvents.GardenLabelsSynced(web, GardenLabels.None.Add("role", "web").Add("zone", "eu-1"), Now),
            new GardenEvents.GardenLabelsSynced(db, GardenLabels.None.Add("role", "db").Add("zone", "eu-1"), Now),
            new GardenEvents.GardenAdminLabelsChanged(web, GardenLabels.None.Add("role", "canary"), [], Actor.ServerAs("ops"), Now));
        return (web, db);
    }

    [Theory]
    [InlineData("role=canary", "web01")]
    [InlineData("zone=eu-1,role!=canary", "db01")]
    [InlineData("role=web", "")] // the admin's label wins over the garden's own
    [InlineData("!legacy,zone", "db01,web01")]
    public void A_selector_keeps_only_the_gardens_it_matches(string selector, string expected)
    {
        Fleet();
        var list = RenderPage<Gardens>(BrowserZone.Utc);
        list.Find("#label-selector").Change(selector);
        list.WaitForAssertion(() => Assert.Equal(expected, string.Join(',', list.FindAll("tr[data-garden]").Select(r => r.GetAttribute("data-garden")))));
        Assert.Empty(list.FindAll(".selector-error"));
    }

    [Theory]
    [InlineData("role=web,", "empty requirement")]
    [InlineData("role=a b", "may contain only")]
    [InlineData("a=b=c", "only one operator")]
    [InlineData("-bad", "must begin and end")]
    public void A_bad_selector_shows_the_parsers_message_and_filters_nothing(string selector, string expected)
    {
        Fleet();
        var list = RenderPage<Gardens>(BrowserZone.Utc);
        list.Find("#label-selector").Change(selector);
        list.WaitForAssertion(() => Assert.Contains(expected, list.Find(".selector-error").TextContent));
        Assert.Equal(2, list.FindAll("tr[data-garden]").Count);
    }

    [Fact]
    public void The_garden_page_tells_its_configs_labels_from_an_admins_and_names_what_an_admin_overrides()
    {
        var (web, _) = Fleet();
        var page = RenderPage<GardenDetail>(BrowserZone.Utc, p => p.Add(x => x.Sid, web.Value));
        Assert.Equal("admin", page.Find("tr[data-label='role']").GetAttribute("data-source"));
        Assert.Contains("overrides its config's web", page.Find("tr[data-label='role']").TextContent);
        Assert.Equal("config", page.Find("tr[data-label='zone']").GetAttribute("data-source"));
    }
}
