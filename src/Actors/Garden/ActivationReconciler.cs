using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Decides the result of an activation interrupted by a garden restart from the real state, never by running it again
/// (REFERENCE §5.10, §7.6): nixos switch/boot → the system profile resolves to the artifact (and for switch the running
/// system too, when there is one); home-manager → the target user's Home-Manager profile resolves to it; gcroot → its
/// named profile does. Pure over the
/// file system, so tests run it on symlink trees in a temp directory.
/// </summary>
public static class ActivationReconciler
{
    /// <param name="services">For a service seed: the complete set of service seed paths the activation was asked for.</param>
    public static ReconcileOutcome Check(GardenSeed seed, PolicyAction action, string user, ProfileRoots roots, IReadOnlyCollection<string>? services = null)
    {
        switch (seed.SeedType)
        {
            case SeedType.NixOS:
                var mode = ActivationModes.NixosMode(action) ?? "switch";
                var system = Resolve(roots.SystemProfile, out var systemError);
                if (system != seed.Artifact)
                {
                    return new(ReconcileVerdict.NotApplied,
                        $"system profile {roots.SystemProfile} points at {system ?? $"nothing ({systemError})"}, not the seed's artifact {seed.Artifact}");
                }
                if (mode == "switch" && Resolve(roots.CurrentSystem, out _) is { } current && current != seed.Artifact)
                {
                    return new(ReconcileVerdict.NotApplied,
                        $"system profile {roots.SystemProfile} points at the seed's artifact but {roots.CurrentSystem} points at {current}: switch-to-configuration switch did not complete");
                }
                var running = mode == "switch" && Resolve(roots.CurrentSystem, out _) is not null ? $" and {roots.CurrentSystem} runs it" : "";
                return new(ReconcileVerdict.Applied, $"{Describe(roots.SystemProfile)} points at {seed.Artifact}{running}");
            case SeedType.HomeManager:
                var profile = ProfileScanner.HomeManagerProfile(user, roots);
                if (profile is null)
                {
                    return new(ReconcileVerdict.NotApplied, $"no Home-Manager profile found for {user}, so the seed's artifact {seed.Artifact} was not activated");
                }
                var generation = Resolve(profile, out var hmError);
                return generation == seed.Artifact
                    ? new(ReconcileVerdict.Applied, $"{Describe(profile)} points at {seed.Artifact}")
                    : new(ReconcileVerdict.NotApplied,
                        $"Home-Manager profile {profile} of {user} points at {generation ?? $"nothing ({hmError})"}, not the seed's artifact {seed.Artifact}");
            case SeedType.GcRoot:
                var named = SowerProfile(seed.Name, roots);
                var pinned = Resolve(named, out var pinError);
                return pinned == seed.Artifact
                    ? new(ReconcileVerdict.Applied, $"{Describe(named)} points at {seed.Artifact}")
                    : new(ReconcileVerdict.NotApplied, $"profile {named} points at {pinned ?? $"nothing ({pinError})"}, not the seed's artifact {seed.Artifact}");
            case SeedType.Service when services is not null:
                return ServicesBundle(seed, services, roots);
            default:
                return new(ReconcileVerdict.Unknown, $"the outcome of a {seed.SeedTypeWire} activation cannot be read from a profile");
        }
    }

    /// <summary>
    /// Follows the link chain of a profile to where it ends (a profile → its generation link → a store path), tolerating a
    /// final target that is not there: what matters is which artifact the profile selects, not whether it is still present.
    /// </summary>
    /// <summary>The activator's <c>current</c> unit bundle is named after the set of service seeds that includes this one.</summary>
    private static ReconcileOutcome ServicesBundle(GardenSeed seed, IReadOnlyCollection<string> services, ProfileRoots roots)
    {
        var current = Path.Combine(roots.EffectiveServicesState, "current");
        var id = ServiceBundle.Id(services);
        string? target;
        try { target = new FileInfo(current).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(ReconcileVerdict.Unknown, $"the active services bundle cannot be read ({current}: {e.Message})");
        }
        if (target is not null && Path.GetFileName(target.TrimEnd('/')) == id)
        {
            return new(ReconcileVerdict.Applied, $"the services bundle {current} is {id}, the set with {seed.Artifact}");
        }
        if (target is null && !Readable(roots.EffectiveServicesState))
        {
            return new(ReconcileVerdict.Unknown, $"the active services bundle cannot be read ({roots.EffectiveServicesState} is not readable by the garden)");
        }
        return new(ReconcileVerdict.NotApplied,
            $"the services bundle {current} is {(target is null ? "not there" : Path.GetFileName(target.TrimEnd('/')))}, not {id}, the set with {seed.Artifact}");
    }

    /// <summary>False only when the directory is there but the garden may not look into it; a missing one may still appear.</summary>
    private static bool Readable(string directory)
    {
        try { _ = Directory.EnumerateFileSystemEntries(directory).Any(); return true; }
        catch (DirectoryNotFoundException) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The activator's named profile of a gcroot seed: <c>&lt;profiles_dir&gt;/&lt;sanitized seed name&gt;</c> (REFERENCE §7.4).</summary>
    public static string SowerProfile(string seedName, ProfileRoots roots) => Path.Combine(roots.EffectiveSowerProfiles, ProfileName(seedName));

    /// <summary>A seed name as a profile name the activator accepts (<c>[A-Za-z0-9._-]{1,100}</c>, no leading dot).</summary>
    public static string ProfileName(string name)
    {
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray()).TrimStart('.');
        return cleaned.Length == 0 ? "seed" : cleaned[..Math.Min(100, cleaned.Length)];
    }

    private static string? Resolve(string path, out string? error)
    {
        error = null;
        var current = path;
        for (var hops = 0; hops <= SymlinkResolver.MaxHops; hops++)
        {
            var info = new FileInfo(current);
            var target = info.LinkTarget;
            if (target is null)
            {
                if (hops == 0 && !info.Exists && !Directory.Exists(current))
                {
                    error = $"{path}: no such file or directory";
                    return null;
                }
                return current;
            }
            current = Path.GetFullPath(target, Path.GetDirectoryName(current) ?? "/");
        }
        error = $"{path}: too many levels of symbolic links";
        return null;
    }

    /// <summary><c>/nix/var/nix/profiles/system (system-3-link)</c>: the profile and the generation it selects.</summary>
    private static string Describe(string profile)
    {
        var target = new FileInfo(profile).LinkTarget;
        return target is null || target.StartsWith('/') ? $"the profile {profile}" : $"the profile {profile} ({target})";
    }
}
