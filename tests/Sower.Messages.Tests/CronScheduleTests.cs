using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

public class CronScheduleTests
{
    private static CronSchedule Cron(string expression)
    {
        Assert.True(CronSchedule.TryParse(expression, out var schedule, out var error), error);
        return schedule!;
    }

    [Theory]
    [InlineData("30 4 * * *", "2026-06-01T04:30:00Z")]
    [InlineData("*/15 * * * *", "2026-06-01T00:15:00Z")]
    [InlineData("0 4 * * sun", "2026-06-07T04:00:00Z")]
    [InlineData("0 4 * * 0", "2026-06-07T04:00:00Z")]
    [InlineData("0 0 1 1 *", "2027-01-01T00:00:00Z")]
    [InlineData("30 0 4 * * *", "2026-06-01T04:00:30Z")]
    [InlineData("@daily", "2026-06-02T00:00:00Z")]
    [InlineData("@midnight", "2026-06-02T00:00:00Z")]
    [InlineData("@hourly", "2026-06-01T01:00:00Z")]
    [InlineData("@weekly", "2026-06-07T00:00:00Z")]
    [InlineData("@monthly", "2026-07-01T00:00:00Z")]
    [InlineData("@yearly", "2027-01-01T00:00:00Z")]
    [InlineData("0 9-17/4 * * mon-fri", "2026-06-01T09:00:00Z")]
    public void Next_fire_time_in_utc(string expression, string expected) =>
        Assert.Equal(Utc(expected), Cron(expression).NextAfter(Utc("2026-06-01T00:00:00Z"), Zones.Utc));

    [Fact]
    public void Next_is_strictly_after_the_given_instant()
    {
        var cron = Cron("30 4 * * *");
        Assert.Equal(Utc("2026-06-02T04:30:00Z"), cron.NextAfter(Utc("2026-06-01T04:30:00Z"), Zones.Utc));
        Assert.Equal(Utc("2026-06-01T04:30:00Z"), cron.NextAfter(Utc("2026-06-01T04:29:59.9999999Z"), Zones.Utc));
    }

    [Fact]
    public void Fire_times_are_wall_clock_times_in_the_zone() =>
        Assert.Equal(Local("Europe/Berlin", "2026-06-01T04:30:00"), Cron("30 4 * * *").NextAfter(Utc("2026-06-01T00:00:00Z"), Zone("Europe/Berlin")));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("* * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("61 * * * *")]
    [InlineData("* 25 * * *")]
    [InlineData("foo bar baz qux quux")]
    [InlineData("@sometimes")]
    public void Bad_expressions_are_rejected_with_a_message_naming_them(string expression)
    {
        Assert.False(CronSchedule.TryParse(expression, out var schedule, out var error));
        Assert.Null(schedule);
        Assert.StartsWith("invalid cron expression \"", error);
    }

    [Fact]
    public void Reboot_is_recognised_but_never_fires_by_time()
    {
        var cron = Cron("@reboot");
        Assert.True(cron.IsReboot);
        Assert.Null(cron.NextAfter(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
        Assert.Null(cron.LatestAtOrBefore(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
        Assert.False(Cron("@daily").IsReboot);
    }

    [Fact]
    public void Latest_at_or_before_includes_the_instant_itself()
    {
        var cron = Cron("30 4 * * *");
        Assert.Equal(Utc("2026-06-01T04:30:00Z"), cron.LatestAtOrBefore(Utc("2026-06-01T04:30:00Z"), Zones.Utc));
        Assert.Equal(Utc("2026-05-31T04:30:00Z"), cron.LatestAtOrBefore(Utc("2026-06-01T04:29:59.9999999Z"), Zones.Utc));
    }

    [Fact]
    public void Rare_schedules_are_found_far_back_and_ahead()
    {
        var leap = Cron("0 0 29 2 *");
        Assert.Equal(Utc("2024-02-29T00:00:00Z"), leap.LatestAtOrBefore(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
        Assert.Equal(Utc("2028-02-29T00:00:00Z"), leap.NextAfter(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
    }

    [Fact]
    public void An_impossible_date_has_no_occurrence()
    {
        var never = Cron("0 0 30 2 *");
        Assert.Null(never.NextAfter(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
        Assert.Null(never.LatestAtOrBefore(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
    }

    [Fact]
    public void Every_second_schedules_work_backwards_quickly()
    {
        var cron = Cron("* * * * * *");
        Assert.Equal(Utc("2026-06-01T00:00:00Z"), cron.LatestAtOrBefore(Utc("2026-06-01T00:00:00.5Z"), Zones.Utc));
        Assert.Equal(Utc("2026-06-01T00:00:01Z"), cron.NextAfter(Utc("2026-06-01T00:00:00.5Z"), Zones.Utc));
    }
}

/// <summary>Skipped and repeated wall-clock hours: a skipped fire time fires at the first instant after the gap; a
/// repeated one fires once, at its first occurrence.</summary>
public class CronDstTests
{
    private static CronSchedule Cron(string expression) => CronSchedule.Parse(expression);

    [Fact]
    public void New_york_spring_forward_fires_a_skipped_time_when_the_gap_ends()
    {
        var ny = Zone("America/New_York");
        Assert.Equal(0, ny.MapLocal(new LocalDateTime(2026, 3, 8, 2, 30)).Count);
        var next = Cron("30 2 * * *").NextAfter(Local("America/New_York", "2026-03-08T00:00:00"), ny);
        Assert.Equal(Utc("2026-03-08T07:00:00Z"), next); // 03:00 EDT
        Assert.Equal(Local("America/New_York", "2026-03-09T02:30:00"), Cron("30 2 * * *").NextAfter(next!.Value, ny));
    }

    [Fact]
    public void New_york_fall_back_fires_a_repeated_time_once_at_its_first_occurrence()
    {
        var ny = Zone("America/New_York");
        Assert.Equal(2, ny.MapLocal(new LocalDateTime(2026, 11, 1, 1, 30)).Count);
        var cron = Cron("30 1 * * *");
        var first = cron.NextAfter(Utc("2026-11-01T00:00:00Z"), ny);
        Assert.Equal(Utc("2026-11-01T05:30:00Z"), first); // 01:30 EDT
        Assert.Equal(Utc("2026-11-02T06:30:00Z"), cron.NextAfter(first!.Value, ny)); // next day 01:30 EST, not 01:30 EST today
        Assert.Equal(Utc("2026-11-01T05:30:00Z"), cron.LatestAtOrBefore(Utc("2026-11-01T06:45:00Z"), ny)); // during the second 01:xx
    }

    [Fact]
    public void New_york_interval_schedules_do_not_fire_twice_in_the_repeated_hour()
    {
        var fires = Cron("*/30 * * * *").Between(Utc("2026-11-01T04:59:00Z"), Utc("2026-11-01T07:00:00Z"), Zone("America/New_York")).ToArray();
        Assert.Equal([Utc("2026-11-01T05:00:00Z"), Utc("2026-11-01T05:30:00Z"), Utc("2026-11-01T07:00:00Z")], fires);
    }

    [Fact]
    public void New_york_interval_schedules_collapse_skipped_times_into_one_fire()
    {
        var fires = Cron("*/30 * * * *").Between(Utc("2026-03-08T06:00:00Z"), Utc("2026-03-08T08:00:00Z"), Zone("America/New_York")).ToArray();
        // 01:30 EST, then 02:00 and 02:30 do not exist and 03:00 EDT fires once, then 03:30 EDT, 04:00 EDT.
        Assert.Equal([Utc("2026-03-08T06:30:00Z"), Utc("2026-03-08T07:00:00Z"), Utc("2026-03-08T07:30:00Z"), Utc("2026-03-08T08:00:00Z")], fires);
    }

    [Fact]
    public void Berlin_spring_forward_and_fall_back()
    {
        var berlin = Zone("Europe/Berlin");
        var cron = Cron("30 2 * * *");
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), cron.NextAfter(Utc("2026-03-28T23:00:00Z"), berlin)); // 03:00 CEST
        Assert.Equal(Utc("2026-10-25T00:30:00Z"), cron.NextAfter(Utc("2026-10-24T23:00:00Z"), berlin)); // 02:30 CEST, first pass
        Assert.Equal(Utc("2026-10-26T01:30:00Z"), cron.NextAfter(Utc("2026-10-25T00:30:00Z"), berlin)); // next day 02:30 CET
        Assert.Equal(Utc("2026-10-25T00:30:00Z"), cron.LatestAtOrBefore(Utc("2026-10-25T01:45:00Z"), berlin));
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), cron.LatestAtOrBefore(Utc("2026-03-29T01:00:00Z"), berlin));
        Assert.Equal(Utc("2026-03-28T01:30:00Z"), cron.LatestAtOrBefore(Utc("2026-03-29T00:59:59Z"), berlin));
    }

    [Fact]
    public void Lord_howe_half_hour_gap_fires_at_its_end()
    {
        var lordHowe = Zone("Australia/Lord_Howe");
        Assert.Equal(0, lordHowe.MapLocal(new LocalDateTime(2026, 10, 4, 2, 15)).Count);
        Assert.Equal(1, lordHowe.MapLocal(new LocalDateTime(2026, 10, 4, 2, 30)).Count);
        var next = Cron("15 2 * * *").NextAfter(Local("Australia/Lord_Howe", "2026-10-04T00:00:00"), lordHowe);
        Assert.Equal(Local("Australia/Lord_Howe", "2026-10-04T02:30:00"), next);
        Assert.Equal(Utc("2026-10-03T15:30:00Z"), next);
    }

    [Fact]
    public void Lord_howe_half_hour_repeat_fires_once()
    {
        var lordHowe = Zone("Australia/Lord_Howe");
        Assert.Equal(2, lordHowe.MapLocal(new LocalDateTime(2026, 4, 5, 1, 45)).Count);
        var cron = Cron("45 1 * * *");
        var first = cron.NextAfter(Utc("2026-04-04T12:00:00Z"), lordHowe);
        Assert.Equal(Utc("2026-04-04T14:45:00Z"), first); // 01:45 +11:00
        Assert.Equal(Local("Australia/Lord_Howe", "2026-04-06T01:45:00"), cron.NextAfter(first!.Value, lordHowe));
        var quarterHours = Cron("*/15 * * * *").Between(Utc("2026-04-04T14:44:00Z"), Utc("2026-04-04T15:31:00Z"), lordHowe).ToArray();
        // 01:45 LHDT (14:45Z); then the clock reads 01:30..01:59 again (15:00Z..15:29Z) without fires; 02:00 LHST is 15:30Z.
        Assert.Equal([Utc("2026-04-04T14:45:00Z"), Utc("2026-04-04T15:30:00Z")], quarterHours);
    }
}
