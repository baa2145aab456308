using System.Collections.Immutable;
using System.Globalization;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;

namespace Sower.Messages.Rollouts;

/// <summary>One wave of a rollout plan: the gardens a selector names, a percentage of all targets, or the rest.</summary>
public sealed record RolloutWave(string Name, LabelSelector? Selector, int? Percent) : ISowerSerializable
{
    public bool IsRest => Selector is null && Percent is null;

    /// <summary>The text form the CLI and API accept: <c>canary: role=canary</c>, <c>25%</c>, <c>rest</c>.</summary>
    public override string ToString() => Selector is not null ? $"{Name}: {Selector}" : Percent is { } p ? (Name == $"{p}%" ? Name : $"{Name}: {p}%") : Name == "rest" ? "rest" : $"{Name}: rest";
}

/// <summary>
/// A rollout plan of one seed line (issue 14.2): ordered waves, the soak time a wave must run after it reached the
/// success threshold before the next wave is offered the seed, and that threshold in percent of the wave's gardens.
/// Gardens no wave names are in an implicit last wave, so a plan never leaves a follower out for good.
/// </summary>
public sealed record RolloutPlan(ImmutableArray<RolloutWave> Waves, Duration Soak, int SuccessThreshold, Actor SetBy, Instant SetAt) : ISowerSerializable
{
    public const int MaxWaves = 16;
    public static readonly Duration MaxSoak = Duration.FromDays(7);

    public bool Equals(RolloutPlan? other) =>
        other is not null && Seq.Equal(Waves, other.Waves) && Soak == other.Soak && SuccessThreshold == other.SuccessThreshold && SetBy == other.SetBy && SetAt == other.SetAt;

    public override int GetHashCode() => HashCode.Combine(Seq.Hash(Waves), Soak, SuccessThreshold, SetBy, SetAt);
}

/// <summary>Parses plans from their text parts (CLI flags and the API's JSON carry the same strings), every problem at once.</summary>
public static class RolloutPlanParser
{
    public static Parsed<RolloutPlan> Parse(IReadOnlyList<string?>? waves, string? soak, int? successThreshold, Actor setBy, Instant setAt)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        var parsedWaves = ImmutableArray.CreateBuilder<RolloutWave>();
        if (waves is null || waves.Count == 0)
        {
            problems.Add(new ValidationProblem("waves", "a plan needs at least one wave (for example \"canary: role=canary\", \"25%\", \"rest\")"));
        }
        else if (waves.Count > RolloutPlan.MaxWaves)
        {
            problems.Add(new ValidationProblem("waves", $"a plan may have at most {RolloutPlan.MaxWaves} waves"));
        }
        else
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < waves.Count; i++)
            {
                var path = $"waves[{i}]";
                var wave = ParseWave(waves[i], i, path, problems);
                if (wave is null) continue;
                if (!names.Add(wave.Name)) problems.Add(new ValidationProblem(path, $"the wave name {GardenLabels.Quote(wave.Name)} is used twice"));
                if (parsedWaves.Count > 0 && parsedWaves[^1].IsRest) problems.Add(new ValidationProblem(path, "\"rest\" takes every remaining garden: it must be the last wave"));
                parsedWaves.Add(wave);
            }
        }
        var soakDuration = Duration.Zero;
        if (soak is not null && !TryParseDuration(soak, out soakDuration))
        {
            problems.Add(new ValidationProblem("soak", $"{GardenLabels.Quote(soak)} is not a duration (for example 30m, 2h, 1d, 90s, 0)"));
        }
        else if (soakDuration > RolloutPlan.MaxSoak)
        {
            problems.Add(new ValidationProblem("soak", "the soak time may be at most 7 days"));
        }
        var threshold = successThreshold ?? 100;
        if (threshold is < 1 or > 100) problems.Add(new ValidationProblem("success_threshold", "the success threshold is a percentage from 1 to 100"));
        return problems.Count == 0
            ? Parsed<RolloutPlan>.Success(new RolloutPlan(parsedWaves.ToImmutable(), soakDuration, threshold, setBy, setAt))
            : Parsed<RolloutPlan>.Failure(problems.ToImmutable());
    }

    /// <summary><c>[name:] selector</c>, <c>[name:] N%</c> or <c>rest</c>; an unnamed wave is called after what it takes.</summary>
    private static RolloutWave? ParseWave(string? text, int index, string path, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add(new ValidationProblem(path, "a wave must not be empty"));
            return null;
        }
        if (text.Length > LabelSelector.MaxLength + 64)
        {
            problems.Add(new ValidationProblem(path, "a wave is too long"));
            return null;
        }
        string? name = null;
        var body = text.Trim();
        var colon = body.IndexOf(':');
        if (colon >= 0)
        {
            name = body[..colon].Trim();
            body = body[(colon + 1)..].Trim();
            var nameProblem = name.Length == 0 ? "must not be empty" : GardenLabels.ValueProblem(name);
            if (nameProblem is not null)
            {
                problems.Add(new ValidationProblem(path, $"wave name {GardenLabels.Quote(name)}: {nameProblem}"));
                return null;
            }
        }
        if (body == "rest") return new RolloutWave(name ?? "rest", null, null);
        if (body.EndsWith('%'))
        {
            if (!int.TryParse(body[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent is < 1 or > 100)
            {
                problems.Add(new ValidationProblem(path, $"{GardenLabels.Quote(body)}: a percentage is a whole number from 1 to 100 followed by %"));
                return null;
            }
            return new RolloutWave(name ?? $"{percent}%", null, percent);
        }
        var selector = LabelSelector.Parse(body, path);
        if (!selector.Ok)
        {
            problems.AddRange(selector.Problems);
            return null;
        }
        return new RolloutWave(name ?? $"wave-{index + 1}", selector.Value, null);
    }

    /// <summary><c>0</c>, or a whole number with s, m, h or d.</summary>
    public static bool TryParseDuration(string text, out Duration duration)
    {
        duration = Duration.Zero;
        text = text.Trim();
        if (text == "0") return true;
        if (text.Length < 2 || text.Length > 12) return false;
        if (!long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        Duration? d = text[^1] switch
        {
            's' => Duration.FromSeconds(n),
            'm' => Duration.FromMinutes(n),
            'h' => Duration.FromHours(n),
            'd' => Duration.FromDays(n),
            _ => null,
        };
        if (d is null) return false;
        duration = d.Value;
        return true;
    }

    public static string Format(Duration d) =>
        d == Duration.Zero ? "0"
        : d.TotalSeconds % 86400 == 0 ? $"{(long)d.TotalDays}d"
        : d.TotalSeconds % 3600 == 0 ? $"{(long)d.TotalHours}h"
        : d.TotalSeconds % 60 == 0 ? $"{(long)d.TotalMinutes}m"
        : $"{(long)d.TotalSeconds}s";
}
