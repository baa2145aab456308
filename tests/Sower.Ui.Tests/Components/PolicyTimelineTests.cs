using System.Text.Json.Nodes;
using Bunit;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Server.Ui.Components.Shared;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

public sealed class PolicyTimelineTests : ConsoleTestContext
{
    // REFERENCE §4.3's illustration: A = activate on schedule; B = restart on schedule, Sundays 04:00–06:00, with confirmation.
    private static readonly Policy Illustration = PolicyJson.Parse(JsonNode.Parse("""
        {"A": {"actions": ["activate"], "triggers": ["scheduled"]},
         "B": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true, "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}}}
        """), "policy").Value!;

    [Fact]
    public void The_week_shows_the_confirm_window_and_the_allowed_action_around_it_for_the_scheduled_trigger()
    {
        var week = PolicyTimeline.Compute(Illustration, SeedType.NixOS, Zones.Utc, ConsoleTestContext.Now);

        Assert.Equal(Instant.FromUtc(2026, 3, 4, 0, 0), week.From); // today's local midnight
        var scheduled = week.Rows.Single(r => r.Label == "scheduled").Segments;
        var confirm = Assert.Single(scheduled, s => s.Kind == DecisionKind.Confirm);
        Assert.Equal(PolicyAction.Restart, confirm.Action);
        Assert.Equal(Instant.FromUtc(2026, 3, 8, 4, 0), confirm.Start);
        Assert.Equal(Instant.FromUtc(2026, 3, 8, 6, 0) + Duration.FromTicks(1), confirm.End); // the end bound is inclusive
        Assert.All(scheduled.Where(s => s != confirm), s => Assert.Equal((DecisionKind.Allow, PolicyAction.Activate), (s.Kind, s.Action)));
        Assert.Equal(100, scheduled.Sum(s => s.Width), 6);

        var manual = Assert.Single(week.Rows.Single(r => r.Label == "manual").Segments);
        Assert.Equal(DecisionKind.Deny, manual.Kind);
        var cap = week.Rows.Single(r => r.Label == "execution cap").Segments;
        Assert.Contains(cap, s => s.Action == PolicyAction.Restart && s.Start == confirm.Start);
    }

    [Fact]
    public void A_window_in_another_zone_lands_at_its_own_wall_clock_time()
    {
        var policy = PolicyJson.Parse(JsonNode.Parse("""{"w": {"actions": ["activate"], "window": {"time_start": "09:00", "time_end": "10:00", "tz": "Asia/Tokyo"}}}"""), "p").Value!;

        var week = PolicyTimeline.Compute(policy, SeedType.NixOS, Zones.Utc, ConsoleTestContext.Now);

        var first = week.Rows.Single(r => r.Label == "manual").Segments.First(s => s.Kind == DecisionKind.Allow);
        Assert.Equal(Instant.FromUtc(2026, 3, 4, 0, 0), first.Start); // 09:00 in Tokyo is 00:00 UTC
    }

    [Fact]
    public void The_rendered_week_has_a_row_per_trigger_and_a_labelled_day_axis()
    {
        var week = PolicyTimeline.Compute(Illustration, SeedType.NixOS, Zones.Utc, ConsoleTestContext.Now);

        var rendered = Render<PolicyWeek>(p => p.Add(x => x.Timeline, week));

        Assert.Equal(["manual", "scheduled", "realtime", "poll_on_connect", "recall", "execution cap"], rendered.FindAll(".timeline-row .timeline-label").Select(e => e.TextContent));
        Assert.Equal(["Wed 4", "Thu 5", "Fri 6", "Sat 7", "Sun 8", "Mon 9", "Tue 10"], rendered.FindAll(".timeline-day").Select(e => e.TextContent));
        Assert.Single(rendered.FindAll(".timeline-row")[1].QuerySelectorAll(".seg-confirm"));
    }

    [Fact]
    public void The_policy_table_spells_out_any_trigger_any_day_and_confirmation()
    {
        var rendered = Render<PolicyTable>(p => p.Add(x => x.Policy, Illustration));

        var rows = rendered.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("any day", rows[0].TextContent);
        Assert.Contains("any time", rows[0].TextContent);
        Assert.Contains("sun", rows[1].TextContent);
        Assert.Contains("04:00–06:00", rows[1].TextContent);
        Assert.Contains("requires confirmation", rows[1].TextContent);
        Assert.Contains("default policy", Render<PolicyTable>(p => p.Add(x => x.Policy, Policy.Default)).Markup);
    }
}
