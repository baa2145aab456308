using System.Collections.Immutable;
using CsCheck;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

/// <summary>CsCheck generators for random policies, instants and zones (instants cluster around DST transitions).</summary>
internal static class PolicyGenerators
{
    public static readonly string?[] ZoneIds = [null, "Etc/UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"];

    public static readonly Gen<LocalTime> GenMinuteTime = Gen.Select(Gen.Int[0, 23], Gen.Int[0, 59], (h, m) => new LocalTime(h, m));

    public static readonly Gen<ImmutableArray<IsoDayOfWeek>?> GenDays =
        Gen.Frequency((1, Gen.Const((ImmutableArray<IsoDayOfWeek>?)null)), (3, Gen.Int[0, 127].Select(mask => (ImmutableArray<IsoDayOfWeek>?)DaysOf(mask))));

    public static readonly Gen<PolicyWindow> GenWindow =
        Gen.Select(GenMinuteTime, GenMinuteTime, GenDays, Gen.OneOf(ZoneIds), (s, e, d, tz) => new PolicyWindow(s, e, d, tz));

    public static readonly Gen<ImmutableArray<PolicyAction>> Actions = Gen.Int[1, 7].Select(mask =>
        ImmutableArray.CreateRange(new[] { PolicyAction.Stage, PolicyAction.Activate, PolicyAction.Restart }.Where(a => (mask & (1 << ((int)a - 1))) != 0)));

    public static readonly Gen<ImmutableArray<Trigger>?> TriggerList =
        Gen.Frequency((1, Gen.Const((ImmutableArray<Trigger>?)null)), (3, Gen.Int[0, 15].Select(mask =>
            (ImmutableArray<Trigger>?)ImmutableArray.CreateRange(Triggers.All.Where(t => (mask & (1 << (int)t)) != 0)))));

    public static Gen<PolicyRule> GenRule(string name) =>
        Gen.Select(Actions, TriggerList, Gen.Null(GenWindow, 0.3), Gen.Bool, (a, t, w, c) => new PolicyRule(name, a, t, w, c));

    public static readonly Gen<PolicyRule> AnyRule = Gen.Int[0, 1000].SelectMany(i => GenRule($"extra-{i}"));

    public static readonly Gen<Policy> GenPolicy = Gen.Select(Gen.Int[1, 5], GenRule("r1"), GenRule("r2"), GenRule("r3"), GenRule("r4"), GenRule("r5"),
        (count, a, b, c, d, e) => new Policy([.. new[] { a, b, c, d, e }.Take(count)]));

    private static readonly Instant[] Transitions =
    [
        NodaTime.Instant.FromUtc(2026, 3, 8, 7, 0), NodaTime.Instant.FromUtc(2026, 11, 1, 6, 0),       // New York
        NodaTime.Instant.FromUtc(2026, 3, 29, 1, 0), NodaTime.Instant.FromUtc(2026, 10, 25, 1, 0),     // Berlin
        NodaTime.Instant.FromUtc(2026, 4, 4, 15, 0), NodaTime.Instant.FromUtc(2026, 10, 3, 15, 30),    // Lord Howe
    ];

    private static readonly Instant YearStart = NodaTime.Instant.FromUtc(2026, 1, 1, 0, 0);

    public static readonly Gen<Instant> GenInstant = Gen.Frequency(
        (2, Gen.Long[0, Duration.FromDays(365).BclCompatibleTicks].Select(ticks => YearStart + NodaTime.Duration.FromTicks(ticks))),
        (1, Gen.Long[0, 365L * 24 * 60].Select(minutes => YearStart + NodaTime.Duration.FromMinutes(minutes))),
        (1, Gen.Select(Gen.OneOf(Transitions), Gen.Long[-Duration.FromHours(30).BclCompatibleTicks, Duration.FromHours(30).BclCompatibleTicks],
            (t, offset) => t + Duration.FromTicks(offset))),
        (1, Gen.Select(Gen.OneOf(Transitions), Gen.Int[-30 * 4, 30 * 4], (t, quarters) => t + Duration.FromMinutes(quarters * 15))));

    public static readonly Gen<DateTimeZone?> GenZone = Gen.OneOf(ZoneIds).Select(id => id is null ? null : DateTimeZoneProviders.Tzdb[id]);

    public static readonly Gen<SeedType> GenSeedType = Gen.OneOf(SeedTypes.All.ToArray());

    public static readonly Gen<Trigger> GenTrigger = Gen.OneOf(Triggers.All.ToArray());

    public static readonly Gen<LocalDateTime> GenLocalDateTime = Gen.Select(Gen.Int[0, 364], Gen.Long[0, NodaTime.LocalTime.MaxValue.TickOfDay],
        (day, tick) => new LocalDate(2026, 1, 1).PlusDays(day).At(NodaTime.LocalTime.FromTicksSinceMidnight(tick)));

    public static ImmutableArray<IsoDayOfWeek> DaysOf(int mask) =>
        [.. Enumerable.Range(1, 7).Where(d => (mask & (1 << (d - 1))) != 0).Select(d => (IsoDayOfWeek)d)];

    public static int Rank(PolicyAction? action) => action is { } a ? (int)a : 0;
}
