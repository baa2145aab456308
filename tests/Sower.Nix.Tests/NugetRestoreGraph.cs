using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sower.Nix.Tests;

/// <summary>One NuGet package of the Nix build: what <c>nix/deps.json</c> lists (<c>pname</c>, <c>version</c>,
/// <c>hash</c> = SRI sha512 of the .nupkg file).</summary>
public sealed record NugetPackage(string Id, string Version, string? Hash)
{
    public string Key => (Id + "/" + Version).ToLowerInvariant();
}

/// <summary>The restore graph the flake's packages restore: every package (not project) in the packages.lock.json of
/// every project under <c>src/</c>, minus the SDK's own packs (nixpkgs' dotnet-sdk supplies those, at its version),
/// each with the hash NuGet recorded when it downloaded the .nupkg (<c>&lt;cache&gt;/id/version/id.version.nupkg.sha512</c>).
/// Computed here independently of <c>nix/update-deps.sh</c>, which must produce the same list.</summary>
public static partial class NugetRestoreGraph
{
    public const string UpdateHint = "run `dotnet restore Sower.sln` and then `nix/update-deps.sh`, and commit nix/deps.json";

    [GeneratedRegex(@"^(microsoft\.aspnetcore\.app\.(ref|internal\.assets|runtime\..+)|microsoft\.netcore\.app\.(ref|host\..+|runtime\..+|crossgen2\..+)|microsoft\.netcore\.dotnetapphost|microsoft\.dotnet\.ilcompiler|microsoft\.net\.illink\.tasks|runtime\..+\.microsoft\.(dotnet\.ilcompiler|netcore\.dotnetapphost))$", RegexOptions.IgnoreCase)]
    private static partial Regex SdkPack();

    public static bool IsSdkPack(string id) => SdkPack().IsMatch(id);

    public static string NugetCache =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public static IReadOnlyList<string> LockFiles(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src"), "packages.lock.json", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The packages of the lock files under <paramref name="root"/>/src, hashed from <paramref name="cache"/>
    /// (null hash: not in the cache).</summary>
    public static IReadOnlyList<NugetPackage> Read(string root, string cache)
    {
        var packages = new Dictionary<string, NugetPackage>();
        foreach (var lockFile in LockFiles(root))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(lockFile));
            foreach (var target in document.RootElement.GetProperty("dependencies").EnumerateObject())
                foreach (var dependency in target.Value.EnumerateObject())
                {
                    if (dependency.Value.GetProperty("type").GetString() == "Project" || IsSdkPack(dependency.Name)) continue;
                    var package = new NugetPackage(dependency.Name, dependency.Value.GetProperty("resolved").GetString()!, null);
                    if (!packages.ContainsKey(package.Key)) packages[package.Key] = package with { Hash = CachedHash(cache, package) };
                }
        }
        return packages.Values.ToList();
    }

    public static string? CachedHash(string cache, NugetPackage package)
    {
        var id = package.Id.ToLowerInvariant();
        var version = package.Version.ToLowerInvariant();
        var file = Path.Combine(cache, id, version, $"{id}.{version}.nupkg.sha512");
        return File.Exists(file) ? "sha512-" + File.ReadAllText(file).Trim() : null;
    }

    public static IReadOnlyList<NugetPackage> ReadDepsJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray()
            .Select(e => new NugetPackage(e.GetProperty("pname").GetString()!, e.GetProperty("version").GetString()!, e.GetProperty("hash").GetString()))
            .ToList();
    }

    /// <summary>Every way <paramref name="deps"/> (nix/deps.json) disagrees with <paramref name="graph"/>: a package
    /// missing, one too many, another version, another hash, listed twice, or not in the NuGet cache at all.</summary>
    public static IReadOnlyList<string> Disagreements(IReadOnlyList<NugetPackage> graph, IReadOnlyList<NugetPackage> deps)
    {
        var problems = new List<string>();
        foreach (var duplicate in deps.GroupBy(p => p.Key).Where(g => g.Count() > 1))
            problems.Add($"listed {duplicate.Count()} times in nix/deps.json: {duplicate.First().Id} {duplicate.First().Version}");

        var listed = deps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First());
        var wanted = graph.ToDictionary(p => p.Key);
        var listedIds = deps.ToLookup(p => p.Id.ToLowerInvariant());
        var wantedIds = graph.ToLookup(p => p.Id.ToLowerInvariant());

        foreach (var package in graph.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (package.Hash is null)
                problems.Add($"not in the NuGet cache ({NugetCache}), so its hash is unknown: {package.Id} {package.Version}");
            if (!listed.TryGetValue(package.Key, out var entry))
            {
                var others = listedIds[package.Id.ToLowerInvariant()].Select(p => p.Version).ToList();
                problems.Add(others.Count > 0
                    ? $"version: {package.Id} is {package.Version} in the restore graph, {string.Join(", ", others)} in nix/deps.json"
                    : $"missing from nix/deps.json: {package.Id} {package.Version}");
            }
            else if (package.Hash is not null && entry.Hash != package.Hash)
                problems.Add($"hash: {package.Id} {package.Version} is {package.Hash} in the NuGet cache, {entry.Hash} in nix/deps.json");
        }
        foreach (var entry in listed.Values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (wanted.ContainsKey(entry.Key)) continue;
            // Reported once, as a version difference, when the graph has the package at another version.
            if (wantedIds[entry.Id.ToLowerInvariant()].Any()) continue;
            problems.Add($"not in the restore graph, extra in nix/deps.json: {entry.Id} {entry.Version}");
        }
        return problems;
    }

    public static string Explain(IReadOnlyList<string> problems) =>
        $"nix/deps.json disagrees with the restore graph of src/ ({problems.Count} problem(s)); the Nix build would fail " +
        $"to restore or use other packages: {UpdateHint}.\n  " + string.Join("\n  ", problems);
}
