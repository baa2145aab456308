using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

/// <summary>Windows are wall-clock times, so across a DST change they are simply shorter or longer that day (REFERENCE §4.4).
/// The explainer must find their real opening and closing instants, including in skipped and repeated hours.</summary>
public class WindowDstTests
{
    private static Policy Window(string start, string end, string? days = null, string? tz = null)
    {
        var window = new System.Text.Json.Nodes.JsonObject { ["time_start"] = start, ["time_end"] = end };
        if (days is not null) window["days"] = new System.Text.Json.Nodes.JsonArray([.. days.Split(',').Select(d => (System.Text.Json.Nodes.JsonNode?)d)]);
        if (tz is not null) window["tz"] = tz;
        var json = new System.Text.Json.Nodes.JsonObject { ["w"] = new System.Text.Json.Nodes.JsonObject { ["actions"] = new System.Text.Json.Nodes.JsonArray("activate"), ["window"] = window } };
        var parsed = PolicyJson.Parse(json);
        Assert.True(parsed.Ok, string.Join("\n", parsed.Problems));
        return parsed.Value!;
    }

    private static bool Open(Policy policy, Instant at, string zone) =>
        PolicyEvaluator.HighestPermittedAction(policy, at, SeedType.NixOS, Zone(zone)) is not null;

    /// <summary>The successive instants at which the window opens or closes, from <paramref name="from"/>.</summary>
    private static Instant[] Changes(Policy policy, string zone, Instant from, int count)
    {
        var changes = new List<Instant>();
        var at = from;
        while (changes.Count < count && PolicyExplainer.NextChange(policy, null, SeedType.NixOS, Zone(zone), at) is { } next)
        {
            changes.Add(next);
            at = next;
        }
        return [.. changes];
    }

    [Fact]
    public void New_york_a_window_inside_the_skipped_hour_never_opens_that_day()
    {
        var policy = Window("02:00", "02:30", "sun");
        for (var minutes = 0; minutes < 24 * 60; minutes += 5)
        {
            Assert.False(Open(policy, Local("America/New_York", "2026-03-08T00:00:00") + Duration.FromMinutes(minutes), "America/New_York"));
        }
        // It next opens a week later, at 02:00 EDT.
        Assert.Equal(Local("America/New_York", "2026-03-15T02:00:00"), PolicyExplainer.NextChange(policy, null, SeedType.NixOS, Zone("America/New_York"), Utc("2026-03-08T05:00:00Z")));
    }

    [Fact]
    public void New_york_a_window_across_spring_forward_is_an_hour_shorter()
    {
        var policy = Window("01:30", "03:30");
        var changes = Changes(policy, "America/New_York", Utc("2026-03-08T05:00:00Z"), 2);
        Assert.Equal([Utc("2026-03-08T06:30:00Z"), Utc("2026-03-08T07:30:00.0000001Z")], changes); // 01:30 EST .. 03:30 EDT
    }

    [Fact]
    public void New_york_a_window_starting_in_the_gap_opens_when_the_gap_ends()
    {
        var policy = Window("02:15", "04:00");
        Assert.Equal(Utc("2026-03-08T07:00:00Z"), PolicyExplainer.NextChange(policy, null, SeedType.NixOS, Zone("America/New_York"), Utc("2026-03-08T05:00:00Z")));
        Assert.True(Open(policy, Utc("2026-03-08T07:00:00Z"), "America/New_York"));
        Assert.False(Open(policy, Utc("2026-03-08T06:59:59.9999999Z"), "America/New_York"));
    }

    [Fact]
    public void New_york_a_window_in_the_repeated_hour_opens_twice()
    {
        var policy = Window("01:00", "01:30", "sun");
        var changes = Changes(policy, "America/New_York", Utc("2026-11-01T04:00:00Z"), 4);
        Assert.Equal(
        [
            Utc("2026-11-01T05:00:00Z"), Utc("2026-11-01T05:30:00.0000001Z"), // 01:00–01:30 EDT
            Utc("2026-11-01T06:00:00Z"), Utc("2026-11-01T06:30:00.0000001Z"), // 01:00–01:30 EST
        ], changes);
    }

    [Fact]
    public void New_york_an_overnight_window_across_fall_back_is_an_hour_longer()
    {
        var policy = Window("22:00", "02:30", "sat");
        var changes = Changes(policy, "America/New_York", Utc("2026-11-01T01:00:00Z"), 2);
        Assert.Equal([Local("America/New_York", "2026-10-31T22:00:00"), Utc("2026-11-01T07:30:00.0000001Z")], changes);
        Assert.Equal(Duration.FromHours(5.5) + Duration.FromTicks(1), changes[1] - changes[0]);
    }

    [Fact]
    public void Berlin_windows_around_both_changes()
    {
        var spring = Changes(Window("01:00", "04:00"), "Europe/Berlin", Utc("2026-03-28T22:00:00Z"), 2);
        Assert.Equal([Utc("2026-03-29T00:00:00Z"), Utc("2026-03-29T02:00:00.0000001Z")], spring); // 01:00 CET .. 04:00 CEST: 2 h
        var autumn = Changes(Window("01:00", "04:00"), "Europe/Berlin", Utc("2026-10-24T22:00:00Z"), 2);
        Assert.Equal([Utc("2026-10-24T23:00:00Z"), Utc("2026-10-25T03:00:00.0000001Z")], autumn); // 01:00 CEST .. 04:00 CET: 4 h
        var repeated = Changes(Window("02:15", "02:45", tz: "Europe/Berlin"), "Etc/UTC", Utc("2026-10-24T22:00:00Z"), 4);
        Assert.Equal([Utc("2026-10-25T00:15:00Z"), Utc("2026-10-25T00:45:00.0000001Z"), Utc("2026-10-25T01:15:00Z"), Utc("2026-10-25T01:45:00.0000001Z")], repeated);
    }

    [Fact]
    public void Lord_howe_half_hour_gap_skips_a_window_and_shortens_another()
    {
        var lordHowe = Zone("Australia/Lord_Howe");
        Assert.Equal(Offset.FromHoursAndMinutes(10, 30), lordHowe.GetUtcOffset(Utc("2026-10-03T15:29:59Z")));
        Assert.Equal(Offset.FromHours(11), lordHowe.GetUtcOffset(Utc("2026-10-03T15:30:00Z")));

        var inGap = Window("02:00", "02:15", "sun");
        for (var minutes = 0; minutes < 24 * 60; minutes += 5)
        {
            Assert.False(Open(inGap, Local("Australia/Lord_Howe", "2026-10-04T00:00:00") + Duration.FromMinutes(minutes), "Australia/Lord_Howe"));
        }
        var acrossGap = Window("02:10", "03:00");
        Assert.Equal([Utc("2026-10-03T15:30:00Z"), Utc("2026-10-03T16:00:00.0000001Z")], Changes(acrossGap, "Australia/Lord_Howe", Utc("2026-10-03T12:00:00Z"), 2));
    }

    [Fact]
    public void Lord_howe_half_hour_repeat_opens_a_window_twice()
    {
        var policy = Window("01:30", "01:45");
        var changes = Changes(policy, "Australia/Lord_Howe", Utc("2026-04-04T12:00:00Z"), 4);
        Assert.Equal(
        [
            Utc("2026-04-04T14:30:00Z"), Utc("2026-04-04T14:45:00.0000001Z"), // +11:00
            Utc("2026-04-04T15:00:00Z"), Utc("2026-04-04T15:15:00.0000001Z"), // +10:30
        ], changes);
    }

    [Fact]
    public void Evaluate_uses_the_local_wall_clock_in_every_zone()
    {
        var policy = TestData.Policy("""
            {"reboot": {"actions": ["restart"], "triggers": ["scheduled"], "window": {"days": ["sun"], "time_start": "01:30", "time_end": "01:45"}}}
            """);
        // Both passes through 01:30–01:45 on the fall-back Sunday in New York allow the restart.
        Assert.Equal(DecisionKind.Allow, PolicyEvaluator.Evaluate(policy, Trigger.Scheduled, Utc("2026-11-01T05:40:00Z"), SeedType.NixOS, Zone("America/New_York")).Kind);
        Assert.Equal(DecisionKind.Allow, PolicyEvaluator.Evaluate(policy, Trigger.Scheduled, Utc("2026-11-01T06:40:00Z"), SeedType.NixOS, Zone("America/New_York")).Kind);
        Assert.Equal(DecisionKind.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Scheduled, Utc("2026-11-01T06:10:00Z"), SeedType.NixOS, Zone("America/New_York")).Kind);
    }
}
