using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

public class WindowMatchingTests
{
    private static PolicyWindow Window(string start, string end, string? days = null, string? tz = null)
    {
        Assert.True(PolicyJson.TryParseTime(start, out var s));
        Assert.True(PolicyJson.TryParseTime(end, out var e));
        var dayList = days?.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d =>
        {
            Assert.True(PolicyJson.TryParseDay(d, out var day));
            return day;
        }).ToArray();
        return new PolicyWindow(s, e, dayList is null ? null : [.. dayList], tz);
    }

    private static bool At(PolicyWindow window, string localIso) =>
        PolicyEvaluator.WindowMatches(window, NodaTime.Text.LocalDateTimePattern.ExtendedIso.Parse(localIso).GetValueOrThrow());

    [Theory]
    [InlineData("2026-11-30T09:00:00", true)]
    [InlineData("2026-11-30T08:59:59.9999999", false)]
    [InlineData("2026-11-30T17:00:00", true)]
    [InlineData("2026-11-30T17:00:00.0000001", false)]
    [InlineData("2026-11-30T16:59:59.9999999", true)]
    [InlineData("2026-11-30T12:00:00", true)]
    [InlineData("2026-11-30T00:00:00", false)]
    [InlineData("2026-11-30T23:59:59.9999999", false)]
    public void Normal_window_bounds_are_inclusive_at_full_precision(string local, bool open) =>
        Assert.Equal(open, At(Window("09:00", "17:00"), local));

    [Theory]
    [InlineData("2026-11-30T09:00:00", true)]
    [InlineData("2026-11-30T09:00:00.0000001", false)]
    [InlineData("2026-11-30T08:59:59.9999999", false)]
    public void A_window_whose_start_equals_its_end_is_open_for_one_instant(string local, bool open) =>
        Assert.Equal(open, At(Window("09:00", "09:00"), local));

    [Theory]
    [InlineData("2026-11-30T12:00:00", true)]   // Monday
    [InlineData("2026-12-01T12:00:00", false)]  // Tuesday
    [InlineData("2026-12-02T12:00:00", true)]   // Wednesday
    [InlineData("2026-11-29T12:00:00", false)]  // Sunday
    public void Normal_windows_match_only_on_their_days(string local, bool open) =>
        Assert.Equal(open, At(Window("09:00", "17:00", "mon,wed"), local));

    [Theory]
    [InlineData("2026-11-28T23:30:00", true)]   // Saturday 23:30: opening day, after start
    [InlineData("2026-11-29T01:00:00", true)]   // Sunday 01:00: previous day is Saturday
    [InlineData("2026-11-28T01:00:00", false)]  // Saturday 01:00: previous day is Friday
    [InlineData("2026-11-28T23:00:00", true)]   // start inclusive
    [InlineData("2026-11-28T22:59:59.9999999", false)]
    [InlineData("2026-11-29T01:30:00", true)]   // end inclusive
    [InlineData("2026-11-29T01:30:00.0000001", false)]
    [InlineData("2026-11-29T23:30:00", false)]  // Sunday evening: Sunday is not an opening day
    [InlineData("2026-11-29T00:00:00", true)]   // midnight belongs to the night that opened Saturday
    [InlineData("2026-11-28T12:00:00", false)]
    public void Overnight_windows_are_named_by_their_opening_day(string local, bool open) =>
        Assert.Equal(open, At(Window("23:00", "01:30", "sat"), local));

    [Theory]
    [InlineData("2026-11-29T01:00:00", true)]   // Sunday morning belongs to Saturday night
    [InlineData("2026-11-30T01:00:00", true)]   // Monday morning belongs to Sunday night
    [InlineData("2026-11-28T01:00:00", false)]  // Saturday morning belongs to Friday night
    [InlineData("2026-12-01T01:00:00", false)]  // Tuesday morning belongs to Monday night
    [InlineData("2026-11-30T23:00:00", false)]  // Monday night is not listed
    public void Overnight_windows_on_consecutive_days_cover_both_following_mornings(string local, bool open) =>
        Assert.Equal(open, At(Window("22:00", "02:00", "sat,sun"), local));

    [Fact]
    public void Sunday_overnight_windows_wrap_into_monday()
    {
        var window = Window("22:00", "02:00", "sun");
        Assert.True(At(window, "2026-11-30T01:59:00"));
        Assert.False(At(window, "2026-11-29T01:59:00"));
    }

    [Theory]
    [InlineData("2026-11-30T23:00:00", true)]
    [InlineData("2026-11-30T00:30:00", true)]
    [InlineData("2026-11-30T12:00:00", false)]
    [InlineData("2026-11-30T06:00:00", true)]
    [InlineData("2026-11-30T06:00:00.0000001", false)]
    [InlineData("2026-11-30T21:59:59.9999999", false)]
    public void Overnight_windows_without_days_are_open_every_night(string local, bool open) =>
        Assert.Equal(open, At(Window("22:00", "06:00"), local));

    [Fact]
    public void An_empty_day_list_never_matches()
    {
        var window = new PolicyWindow(LocalTime.Midnight, new LocalTime(23, 59), [], null);
        for (var day = 0; day < 7; day++)
        {
            Assert.False(PolicyEvaluator.WindowMatches(window, new LocalDateTime(2026, 11, 23 + day, 12, 0)));
        }
    }

    [Fact]
    public void The_full_day_window_excludes_only_the_last_minute()
    {
        var window = Window("00:00", "23:59");
        Assert.True(At(window, "2026-11-30T00:00:00"));
        Assert.True(At(window, "2026-11-30T23:59:00"));
        Assert.False(At(window, "2026-11-30T23:59:00.0000001"));
    }

    [Fact]
    public void The_windows_tz_wins_over_the_subscription_zone_which_wins_over_utc()
    {
        var noTz = Window("09:00", "10:00");
        var tokyo = Window("09:00", "10:00", tz: "Asia/Tokyo");
        var instant = Local("Europe/Berlin", "2026-06-01T09:30:00"); // 07:30Z, 16:30 in Tokyo
        Assert.False(PolicyEvaluator.WindowMatches(noTz, instant));                             // UTC 07:30
        Assert.True(PolicyEvaluator.WindowMatches(noTz, instant, Zone("Europe/Berlin")));      // Berlin 09:30
        Assert.False(PolicyEvaluator.WindowMatches(tokyo, instant, Zone("Europe/Berlin")));    // Tokyo 16:30
        Assert.True(PolicyEvaluator.WindowMatches(tokyo, Local("Asia/Tokyo", "2026-06-01T09:45:00"), Zone("Europe/Berlin")));
        Assert.True(PolicyEvaluator.WindowMatches(noTz, Utc("2026-06-01T09:30:00Z")));
        Assert.True(PolicyEvaluator.WindowMatches(noTz, Utc("2026-06-01T09:30:00Z"), null));
    }

    [Fact]
    public void The_weekday_is_the_local_weekday_in_the_windows_zone()
    {
        // Monday 00:30 in Berlin is still Sunday 22:30 UTC.
        var monday = Window("00:00", "01:00", "mon");
        var instant = Local("Europe/Berlin", "2026-11-30T00:30:00");
        Assert.True(PolicyEvaluator.WindowMatches(monday, instant, Zone("Europe/Berlin")));
        Assert.False(PolicyEvaluator.WindowMatches(monday, instant));
        Assert.True(PolicyEvaluator.WindowMatches(monday with { Tz = "Europe/Berlin" }, instant));
    }

    [Fact]
    public void A_half_hour_offset_zone_is_respected()
    {
        var window = Window("09:00", "09:30", tz: "Asia/Kolkata"); // UTC+05:30
        Assert.True(PolicyEvaluator.WindowMatches(window, Utc("2026-06-01T03:45:00Z")));
        Assert.False(PolicyEvaluator.WindowMatches(window, Utc("2026-06-01T04:00:00.0000001Z")));
        Assert.True(PolicyEvaluator.WindowMatches(window, Utc("2026-06-01T04:00:00Z")));
    }
}

public class WindowPrecisionTests
{
    [Fact]
    public void Bounds_are_compared_at_tick_precision()
    {
        var window = new PolicyWindow(new LocalTime(9, 0), new LocalTime(17, 0), null, null);
        var end = Utc("2026-06-01T17:00:00Z");
        Assert.True(PolicyEvaluator.WindowMatches(window, end + Duration.FromNanoseconds(99)));
        Assert.False(PolicyEvaluator.WindowMatches(window, end + Duration.FromTicks(1)));
        var start = Utc("2026-06-01T09:00:00Z");
        Assert.False(PolicyEvaluator.WindowMatches(window, start - Duration.FromNanoseconds(1)));
        Assert.True(PolicyEvaluator.WindowMatches(window, start));
    }
}
