using Sower.Messages.Domain;

namespace Sower.Cli.Infrastructure;

/// <summary>The submit pre-checks of REFERENCE §1.3 and the build metadata readable from a realised artifact.</summary>
public static class SeedMarkers
{
    /// <summary>The marker a realised artifact of this type must contain (relative path, and whether it is a directory).</summary>
    public static (string Path, bool Directory)? Marker(SeedType type) => type switch
    {
        SeedType.NixOS => ("nixos-version", false),
        SeedType.NixDarwin => ("darwin-version", false),
        SeedType.HomeManager => ("hm-version", false),
        SeedType.Service => (".sower/systemd", true),
        _ => null,
    };

    /// <summary>Null when the artifact is a valid, realised store path of the type; otherwise the one-sentence reason.</summary>
    public static string? Check(string artifact, SeedType type)
    {
        if (StorePath.Validate(artifact) is { } invalid) return $"{artifact} is not a store path: {invalid}";
        if (!Directory.Exists(artifact) && !File.Exists(artifact))
        {
            return $"{artifact} is not realised in the local Nix store (build or substitute it first)";
        }
        if (Marker(type) is not { } marker) return null;
        var path = Path.Combine(artifact, marker.Path);
        var present = marker.Directory ? Directory.Exists(path) : File.Exists(path);
        return present ? null : $"artifact does not look like a {type.ToWire()} seed: missing {marker.Path}";
    }

    /// <summary>Tags the artifact itself carries: NixOS <c>system</c> and <c>nixos_version</c>.</summary>
    public static IReadOnlyList<Tag> Metadata(string artifact, SeedType type)
    {
        var tags = new List<Tag>();
        if (type != SeedType.NixOS) return tags;
        if (ReadLine(Path.Combine(artifact, "system")) is { } system) tags.Add(new Tag("system", system));
        if (ReadLine(Path.Combine(artifact, "nixos-version")) is { } version) tags.Add(new Tag("nixos_version", version));
        return tags;
    }

    private static string? ReadLine(string path)
    {
        try
        {
            var text = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
            return string.IsNullOrEmpty(text) || text.Contains('\n') ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
