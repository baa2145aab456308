using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Gardens;

/// <summary>One reported generation row, keyed by (garden, profile, seed) (REFERENCE §6.13, pitfall 37).</summary>
public sealed record GenerationRow(string ProfilePath, SeedId Seed, string Artifact, string Link, Instant Created, int? Number, bool IsCurrent)
    : ISowerSerializable;

/// <summary>A profile as the garden reported it (REFERENCE §5.7).</summary>
public sealed record ReportedProfile(string ProfilePath, ImmutableArray<Tag> Tags, ImmutableArray<ReportedGeneration> Generations) : ISowerSerializable;

/// <summary>Created is the raw string the garden sent: an invalid one skips the generation with a warning.</summary>
public sealed record ReportedGeneration(string Path, string Link, string Created, int? Number, bool IsCurrent) : ISowerSerializable;

public sealed record GardenRegistration(string Name, string HostIdentifier, Instant RegisteredAt, TokenId? Credential) : ISowerSerializable;

/// <summary>
/// A garden's identity is its host identifier (REFERENCE §5.4): deriving the sid from it makes re-enrolment land on the same
/// GardenActor, which re-binds instead of duplicating, and makes concurrent enrolments of one host serialize there.
/// </summary>
public static class GardenIdentity
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Alphanumerics = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static GardenId For(string hostIdentifier)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("garden\n" + hostIdentifier));
        Span<char> body = stackalloc char[24];
        body[0] = Letters[hash[0] % Letters.Length];
        for (var i = 1; i < body.Length; i++) body[i] = Alphanumerics[hash[i] % Alphanumerics.Length];
        return new GardenId(GardenId.Prefix + "_" + new string(body));
    }
}

/// <summary>Auto-registration naming of REFERENCE §6.13 (pitfall 45: the host may contain dashes).</summary>
public static class GenerationNaming
{
    public const string SystemProfile = "/nix/var/nix/profiles/system";

    public static (string Name, string? NixosVersion) NameOf(string artifact)
    {
        var name = StorePath.IsValid(artifact) ? StorePath.NameOf(artifact) : Path.GetFileName(artifact);
        const string prefix = "nixos-system-";
        if (name.StartsWith(prefix, StringComparison.Ordinal))
        {
            var rest = name[prefix.Length..];
            var lastDash = rest.LastIndexOf('-');
            if (lastDash > 0 && lastDash < rest.Length - 1) return (rest[..lastDash], rest[(lastDash + 1)..]);
        }
        return (name, null);
    }

    public static SeedType TypeOf(string profilePath) =>
        profilePath.Contains("home-manager", StringComparison.Ordinal) ? SeedType.HomeManager
        : profilePath == SystemProfile ? SeedType.NixOS
        : profilePath.Contains("darwin", StringComparison.Ordinal) ? SeedType.NixDarwin
        : SeedType.NixOS;
}
