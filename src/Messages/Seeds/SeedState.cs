using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedEvents;

namespace Sower.Messages.Seeds;

/// <summary>
/// One seed's state and its pure command handling. Version counts events so the seed line can ignore stale or repeated
/// updates; LastChangeFansOut says whether the latest change (creation or promotion) asks for realtime fan-out;
/// PreviousName remembers the line a rename left, so it can be told (idempotently) to drop the seed; RecallOwed says a recall
/// has not yet reached every garden entity following the line (issue 16.2; absent in older snapshots, read as false).
/// </summary>
public sealed record SeedState(SeedInfo? Seed, long Version, bool LastChangeFansOut, string? PreviousName, bool RecallOwed = false) : ISowerSerializable
{
    public static readonly SeedState Empty = new(null, 0, false, null);

    public SeedLineKey? Line => Seed is null ? null : new SeedLineKey(Seed.Type, Seed.Name);

    public SeedState Apply(ISeedEvent e) => e switch
    {
        SeedRegistered r => this with { Seed = LegacyReportedSeeds.Quarantine(r.Seed), Version = Version + 1, LastChangeFansOut = r.FanOut },
        ReportedSeedClaimed c => this with
        {
            Seed = c.Seed,
            Version = Version + 1,
            LastChangeFansOut = true,
            PreviousName = Seed is not null && Seed.Name != c.Seed.Name ? Seed.Name : PreviousName,
        },
        SeedTagsAdded t when Seed is not null => this with
        {
            Seed = Seed with { Tags = SeedTags.Union(Seed.Tags, t.Tags) },
            Version = Version + 1,
            LastChangeFansOut = false,
        },
        SeedRenamed n when Seed is not null => this with
        {
            Seed = Seed with { Name = n.NewName },
            Version = Version + 1,
            LastChangeFansOut = false,
            PreviousName = n.OldName,
        },
        SeedPromoted p when Seed is not null => this with
        {
            Seed = Seed with { Recency = p.Recency },
            Version = Version + 1,
            LastChangeFansOut = true,
        },
        SeedRetired when Seed is not null => this with { Seed = Seed with { Retired = true }, Version = Version + 1, LastChangeFansOut = false },
        SeedRecalled r when Seed is not null => this with
        {
            Seed = Seed with { Recall = new SeedRecall(r.Reason, r.Force, r.By.Sid, r.At) },
            Version = Version + 1,
            LastChangeFansOut = false,
            RecallOwed = true,
        },
        SeedUnrecalled when Seed is not null => this with
        {
            Seed = Seed with { Recall = null },
            Version = Version + 1,
            LastChangeFansOut = false,
            RecallOwed = false,
        },
        SeedRecallDelivered => this with { RecallOwed = false },
        SeedTagRemoved r when Seed is not null => this with
        {
            Seed = Seed with { Tags = Seed.Tags.Remove(r.Tag) },
            Version = Version + 1,
            LastChangeFansOut = false,
        },
        _ => this,
    };

    /// <summary>Retirement and tag removal; nothing when already retired or the tag is absent (null seed: nothing either).</summary>
    public ImmutableArray<ISeedEvent> Decide(RetireSeed cmd, Instant now) =>
        Seed is null || Seed.Retired ? [] : [new SeedRetired(cmd.SeedId, cmd.By, now)];

    /// <summary>The CommandFailed codes of a recall or unrecall that cannot be done.</summary>
    public const string AlreadyRecalled = "already_recalled";
    public const string NotRecalled = "not_recalled";
    public const string SeedNotFound = "seed_not_found";

    /// <summary>Recall: refused (code, message) for an unknown or already recalled seed; the reason is checked by <see cref="RecallReasons"/>.</summary>
    public (ImmutableArray<ISeedEvent> Events, string? Code, string? Message) Decide(RecallSeed cmd, Instant now)
    {
        if (Seed is null || LegacyReportedSeeds.IsGardenReported(Seed)) return ([], SeedNotFound, $"no seed {cmd.SeedId}");
        if (Seed.Recall is { } recall) return ([], AlreadyRecalled, $"seed {cmd.SeedId} is already recalled ({recall.Reason}); unrecall it first to recall it again");
        if (RecallReasons.Check(cmd.Reason) is { } problem) return ([], RecallReasons.InvalidReason, problem);
        return ([new SeedRecalled(cmd.SeedId, cmd.Reason, cmd.Force, cmd.By, now)], null, null);
    }

    public (ImmutableArray<ISeedEvent> Events, string? Code, string? Message) Decide(UnrecallSeed cmd, Instant now)
    {
        if (Seed is null || LegacyReportedSeeds.IsGardenReported(Seed)) return ([], SeedNotFound, $"no seed {cmd.SeedId}");
        if (Seed.Recall is null) return ([], NotRecalled, $"seed {cmd.SeedId} is not recalled");
        return ([new SeedUnrecalled(cmd.SeedId, cmd.By, now)], null, null);
    }

    public ImmutableArray<ISeedEvent> Decide(RemoveSeedTag cmd, Instant now) =>
        Seed is null || !Seed.Tags.Contains(cmd.Tag) ? [] : [new SeedTagRemoved(cmd.SeedId, cmd.Tag, cmd.By, now)];

    /// <summary>
    /// What is wrong with a submission before anything is decided: the size limits of <see cref="SeedLimits"/> (every entry
    /// point checks them too; this is the last line) and, for a re-submission, a tag total beyond the limit once merged.
    /// </summary>
    public ImmutableArray<ValidationProblem> Check(SubmitSeed cmd)
    {
        var problems = SeedLimits.CheckName(cmd.Name).Concat(SeedLimits.CheckTags(cmd.Tags)).ToImmutableArray();
        if (!problems.IsEmpty || Seed is null || LegacyReportedSeeds.IsGardenReported(Seed)) return problems;
        var total = Seed.Tags.Length + SeedTags.Missing(Seed.Tags, cmd.Tags).Length;
        return total > SeedLimits.MaxTags
            ? [new ValidationProblem("tags", $"the seed already has {Seed.Tags.Length} tags; with these it would have {total}, at most {SeedLimits.MaxTags}: remove some first")]
            : [];
    }

    /// <summary>REFERENCE §2: create, or re-submit (add missing tags, rename only with rename=true, recency only with promote=true).
    /// A seed a garden once reported (older servers) is claimed instead: the submission replaces everything the garden said.</summary>
    public ImmutableArray<ISeedEvent> Decide(SubmitSeed cmd, Instant now)
    {
        if (Seed is null || LegacyReportedSeeds.IsGardenReported(Seed))
        {
            var seed = new SeedInfo(cmd.SeedId, cmd.Name, cmd.Type, cmd.Artifact, SeedTags.Union([], cmd.Tags), now, now, false, cmd.By);
            return Seed is null ? [new SeedRegistered(cmd.SeedId, seed, FanOut: true)] : [new ReportedSeedClaimed(cmd.SeedId, seed, Seed.RegisteredBy, now)];
        }
        var events = ImmutableArray.CreateBuilder<ISeedEvent>();
        var missing = SeedTags.Missing(Seed.Tags, cmd.Tags);
        if (!missing.IsEmpty) events.Add(new SeedTagsAdded(cmd.SeedId, missing));
        if (cmd.Rename && !string.Equals(cmd.Name, Seed.Name, StringComparison.Ordinal))
        {
            events.Add(new SeedRenamed(cmd.SeedId, Seed.Name, cmd.Name));
        }
        if (cmd.Promote) events.Add(new SeedPromoted(cmd.SeedId, now, cmd.By));
        return events.ToImmutable();
    }
}
