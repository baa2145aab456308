using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>
/// Builds the <c>garden:seeds:report</c> payload (REFERENCE §5.7): the system profile for nixos subscriptions and the target
/// user's Home-Manager profile for home-manager ones, each with its generations sorted numerically (pitfall 36).
/// </summary>
public static class ProfileScanner
{
    public static JsonObject Scan(IEnumerable<SyncedSubscription> subscriptions, ProfileRoots roots, string gardenUser)
    {
        var profiles = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sub in subscriptions)
        {
            switch (sub.Spec.SeedType)
            {
                case SeedType.NixOS when seen.Add(roots.SystemProfile):
                    if (ScanProfile(roots.SystemProfile, SymlinkResolver.Canonicalize(roots.CurrentSystem, out _), addCurrent: true) is { } system)
                    {
                        profiles.Add(new JsonObject { ["profile_path"] = roots.SystemProfile, ["tags"] = new JsonObject(), ["generations"] = system });
                    }
                    break;
                case SeedType.HomeManager:
                    var user = TargetUser(sub.Spec, gardenUser);
                    var profile = HomeManagerProfile(user, roots);
                    if (profile is null || !seen.Add(profile)) break;
                    if (ScanProfile(profile, SymlinkResolver.Canonicalize(profile, out _), addCurrent: false) is { } hm)
                    {
                        profiles.Add(new JsonObject { ["profile_path"] = profile, ["tags"] = new JsonObject { ["user"] = user }, ["generations"] = hm });
                    }
                    break;
            }
        }
        return new JsonObject { ["profiles"] = profiles };
    }

    /// <summary>The scan as the contract's <c>garden:seeds:report</c> record.</summary>
    public static SeedsReportMessage Report(JsonObject scan) =>
        scan.Deserialize<SeedsReportMessage>(GatewayProtocol.Json) ?? new SeedsReportMessage([]);

    /// <summary>The Home-Manager target user: the subscription's <c>username</c> rule, else the garden's own user.</summary>
    public static string TargetUser(SubscriptionSpec spec, string gardenUser) =>
        spec.Rules.FirstOrDefault(r => r.Key == "username")?.Value ?? gardenUser;

    /// <summary><c>&lt;home&gt;/.local/state/nix/profiles/home-manager</c> first, then the legacy per-user profile.</summary>
    public static string? HomeManagerProfile(string user, ProfileRoots roots)
    {
        var home = roots.HomeOverride ?? Passwd.HomeOf(user);
        if (home is not null)
        {
            var modern = Path.Combine(home, ".local", "state", "nix", "profiles", "home-manager");
            if (Exists(modern)) return modern;
        }
        var legacy = Path.Combine(roots.PerUserProfiles, user, "home-manager");
        return Exists(legacy) ? legacy : null;
    }

    private static JsonArray? ScanProfile(string profile, string? current, bool addCurrent)
    {
        if (!Exists(profile)) return null;
        var dir = Path.GetDirectoryName(profile)!;
        var prefix = Path.GetFileName(profile) + "-";
        var generations = new List<(int Number, string Link)>();
        if (Directory.Exists(dir))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir, prefix + "*-link"))
            {
                var name = Path.GetFileName(entry);
                var middle = name[prefix.Length..^"-link".Length];
                if (int.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) generations.Add((number, entry));
            }
        }
        var list = new JsonArray();
        var currentFound = false;
        foreach (var (number, link) in generations.OrderBy(g => g.Number))
        {
            var path = SymlinkResolver.Canonicalize(link, out _);
            if (path is null) continue;
            var isCurrent = current is not null && path == current;
            currentFound |= isCurrent;
            list.Add(new JsonObject
            {
                ["path"] = path,
                ["link"] = link,
                ["created"] = Created(link),
                ["generation_number"] = number,
                ["is_current"] = isCurrent,
            });
        }
        if (addCurrent && !currentFound && current is not null)
        {
            // E.g. after a `test` activation the running system is no generation; report it against the profile itself.
            list.Add(new JsonObject { ["path"] = current, ["link"] = profile, ["created"] = Created(profile), ["is_current"] = true });
        }
        return list;
    }

    private static string Created(string link)
    {
        var info = new FileInfo(link);
        return info.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;
}

/// <summary>Reads home directories from the passwd database file.</summary>
public static class Passwd
{
    public static string? HomeOf(string user, string passwdFile = "/etc/passwd")
    {
        try
        {
            foreach (var line in File.ReadLines(passwdFile))
            {
                var fields = line.Split(':');
                if (fields.Length >= 6 && fields[0] == user) return fields[5];
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
