using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Seeds;

/// <summary>One registered seed as every other part of the server sees it.</summary>
public sealed record SeedInfo(
    SeedId Sid,
    string Name,
    SeedType Type,
    string Artifact,
    ImmutableArray<Tag> Tags,
    Instant Recency,
    Instant CreatedAt,
    bool Retired,
    string RegisteredBy,
    SeedRecall? Recall = null) : ISowerSerializable
{
    /// <summary>Never chosen, matched or deployed: retired, or recalled (issue 16.2). Derived, never stored.</summary>
    public bool Withdrawn => Retired || Recall is not null;
}

/// <summary>Why and by whom a seed was recalled (issue 16.2). Force: the replacement acts now, regardless of policy windows.
/// Absent in what older servers stored, which reads as "not recalled".
/// By is the acting token's sid (like RegisteredBy): the full actor is on the SeedRecalled event.</summary>
public sealed record SeedRecall(string Reason, bool Force, string By, Instant At) : ISowerSerializable;

/// <summary>The identity of a seed line: all seeds of one name and type (the SeedLineActor's entity id).</summary>
public readonly record struct SeedLineKey(SeedType Type, string Name)
{
    public string EntityId => Type.ToWire() + ":" + Name;

    public static bool TryParse(string entityId, out SeedLineKey key)
    {
        var colon = entityId.IndexOf(':');
        if (colon > 0 && SeedTypes.TryParse(entityId[..colon], out var type))
        {
            key = new SeedLineKey(type, entityId[(colon + 1)..]);
            return true;
        }
        key = default;
        return false;
    }

    public override string ToString() => EntityId;
}

/// <summary>
/// A seed's identity is (seed type, artifact) (REFERENCE §2). Deriving the sid from that identity makes the
/// SeedActor with this id the single place that decides "new or re-submission", so uniqueness holds under concurrency
/// without a separate index entity, and generation reports can name seeds without a round trip.
/// </summary>
public static class SeedIdentity
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Alphanumerics = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static SeedId For(SeedType type, string artifact)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(type.ToWire() + "\n" + artifact));
        Span<char> body = stackalloc char[24];
        body[0] = Letters[hash[0] % Letters.Length];
        for (var i = 1; i < body.Length; i++)
        {
            body[i] = Alphanumerics[hash[i] % Alphanumerics.Length];
        }
        return new SeedId(SeedId.Prefix + "_" + new string(body));
    }
}

public static class SeedTags
{
    /// <summary>Adds the tags not yet present, keeping order; exact duplicate pairs are dropped. Linear in the number of
    /// tags (one hash set), so a large list costs proportionally, never quadratically (issue 12, finding 6).</summary>
    public static ImmutableArray<Tag> Union(ImmutableArray<Tag> existing, IEnumerable<Tag> added)
    {
        var seen = new HashSet<Tag>(existing);
        var builder = existing.ToBuilder();
        foreach (var tag in added)
        {
            if (seen.Add(tag)) builder.Add(tag);
        }
        return builder.ToImmutable();
    }

    /// <summary>The tags of <paramref name="added"/> not already in <paramref name="existing"/>, distinct, in order (linear).</summary>
    public static ImmutableArray<Tag> Missing(ImmutableArray<Tag> existing, IEnumerable<Tag> added)
    {
        var seen = new HashSet<Tag>(existing);
        var builder = ImmutableArray.CreateBuilder<Tag>();
        foreach (var tag in added)
        {
            if (seen.Add(tag)) builder.Add(tag);
        }
        return builder.ToImmutable();
    }
}

/// <summary>
/// Seeds that older servers registered from a garden's <c>garden:seeds:report</c> (REFERENCE §6.13 auto-registration,
/// removed by issue 12: a garden could plant a "latest" seed in any line). Their events stay readable; on recovery such a
/// seed is read as retired — kept for history, never latest, never realtime, never deployable — until someone with
/// seed:write submits the same artifact, which claims it (the submitter's name, tags and time replace the garden's).
/// They are recognised by RegisteredBy: only a garden report ever registered a seed under a garden sid.
/// </summary>
public static class LegacyReportedSeeds
{
    public static bool IsGardenReported(SeedInfo seed) =>
        seed.RegisteredBy.StartsWith(GardenId.Prefix + "_", StringComparison.Ordinal);

    /// <summary>The seed as this server treats it: a garden-reported one is retired.</summary>
    public static SeedInfo Quarantine(SeedInfo seed) => IsGardenReported(seed) && !seed.Retired ? seed with { Retired = true } : seed;
}

/// <summary>The one rule for a recall's reason at every entry point (API, CLI hub, console, the seed itself): it is shown in
/// listings, logs and the audit trail, so it is short, printable text.</summary>
public static class RecallReasons
{
    public const int MaxLength = 500;
    public const string InvalidReason = "invalid_reason";

    /// <summary>Null when the reason is acceptable, else what is wrong with it.</summary>
    public static string? Check(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason)) return "reason: is required (say why the seed is bad)";
        if (reason.Length > MaxLength) return $"reason: at most {MaxLength} characters, got {reason.Length}";
        if (reason.Any(char.IsControl))
        {
            return "reason: must not contain control characters (newlines, escapes)";
        }
        if (reason.Any(c => c is '\u202a' or '\u202b' or '\u202c' or '\u202d' or '\u202e' or '\u2066' or '\u2067' or '\u2068' or '\u2069'))
        {
            return "reason: must not contain bidirectional control characters";
        }
        return null;
    }
}
