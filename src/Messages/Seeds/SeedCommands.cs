using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Seeds;

public interface IWithSeedId
{
    SeedId SeedId { get; }
}

public static class SeedCommands
{
    /// <summary>Submission through the API or the CLI (REFERENCE §2). SeedId is SeedIdentity.For(Type, Artifact).</summary>
    public sealed record SubmitSeed(
        SeedId SeedId,
        string Name,
        SeedType Type,
        string Artifact,
        ImmutableArray<Tag> Tags,
        bool Rename,
        bool Promote,
        string By) : IWithSeedId, ISowerSerializable;

    /// <summary>What older servers' GardenActors sent for a reported generation (REFERENCE §6.13 auto-registration). Kept only
    /// so a node of an older version in the same cluster is understood: a SeedActor now refuses it (issue 12: what a garden
    /// reports is recorded on that garden only and never becomes a seed).</summary>
    public sealed record RegisterReportedSeed(
        SeedId SeedId,
        string Name,
        SeedType Type,
        string Artifact,
        ImmutableArray<Tag> Tags,
        Instant Recency,
        string By) : IWithSeedId, ISowerSerializable;

    /// <summary>Retire a seed: kept for history, excluded from latest-selection and realtime (REFERENCE §2). Audited.</summary>
    public sealed record RetireSeed(SeedId SeedId, Actor By) : IWithSeedId, ISowerSerializable;

    /// <summary>Recall a seed (issue 16.2): never deployed again by any trigger, and every subscription running it gets the newest
    /// non-recalled matching seed under its policy for the recall trigger (Force: regardless of windows). Audited.</summary>
    public sealed record RecallSeed(SeedId SeedId, string Reason, bool Force, Actor By) : IWithSeedId, ISowerSerializable;

    /// <summary>Undo a recall: the seed may be chosen again; nothing is deployed by the undo itself. Audited.</summary>
    public sealed record UnrecallSeed(SeedId SeedId, Actor By) : IWithSeedId, ISowerSerializable;

    /// <summary>Remove one tag (key and value) from a seed (REFERENCE §2, pitfall 21). Audited.</summary>
    public sealed record RemoveSeedTag(SeedId SeedId, Tag Tag, Actor By) : IWithSeedId, ISowerSerializable;

    /// <summary>Reply to SubmitSeed (a CommandFailed "invalid_seed" when it breaks a limit).</summary>
    public sealed record SeedSubmissionResult(SeedInfo Seed, bool Created) : ISowerSerializable;
}

public static class SeedQueries
{
    public sealed record GetSeed(SeedId SeedId) : IWithSeedId, ISowerSerializable;

    /// <summary>Reply to GetSeed; Seed is null when no seed has this sid.</summary>
    public sealed record SeedFound(SeedInfo? Seed) : ISowerSerializable;
}

public static class SeedEvents
{
    public interface ISeedEvent : ISowerEvent
    {
        SeedId SeedId { get; }
    }

    /// <summary>FanOut false marks a garden-reported registration of older servers (read as retired, see LegacyReportedSeeds).</summary>
    public sealed record SeedRegistered(SeedId SeedId, SeedInfo Seed, bool FanOut) : ISeedEvent;

    /// <summary>A submission took over a seed an older server had registered from a garden report (ReportedBy, a garden sid):
    /// the submitted name, tags and time replace what the garden said, and it fans out like a new seed.</summary>
    public sealed record ReportedSeedClaimed(SeedId SeedId, SeedInfo Seed, string ReportedBy, Instant At) : ISeedEvent;

    public sealed record SeedTagsAdded(SeedId SeedId, ImmutableArray<Tag> Tags) : ISeedEvent;

    public sealed record SeedRenamed(SeedId SeedId, string OldName, string NewName) : ISeedEvent;

    public sealed record SeedPromoted(SeedId SeedId, Instant Recency, string By) : ISeedEvent;

    public sealed record SeedRetired(SeedId SeedId, Actor By, Instant At) : ISeedEvent;

    public sealed record SeedTagRemoved(SeedId SeedId, Tag Tag, Actor By, Instant At) : ISeedEvent;

    public sealed record SeedRecalled(SeedId SeedId, string Reason, bool Force, Actor By, Instant At) : ISeedEvent;

    public sealed record SeedUnrecalled(SeedId SeedId, Actor By, Instant At) : ISeedEvent;

    /// <summary>Every garden entity following the seed's line has handled the recall (RecallOwed ends).</summary>
    public sealed record SeedRecallDelivered(SeedId SeedId, int Subscriptions, Instant At) : ISeedEvent;
}
