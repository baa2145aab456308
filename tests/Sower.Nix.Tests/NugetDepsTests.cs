using System.Diagnostics;
using System.Security.Cryptography;

namespace Sower.Nix.Tests;

/// <summary>nix/deps.json, which the Nix build restores from, is exactly the restore graph of the programs (their
/// packages.lock.json) with the NuGet cache's hashes, and nix/update-deps.sh reproduces it offline.</summary>
public sealed class NugetDepsTests
{
    private static string Root => NixpkgsLib.RepositoryRoot;
    private static string DepsJson => Path.Combine(Root, "nix", "deps.json");

    [Fact]
    public void Deps_json_lists_exactly_the_restore_graph_of_the_programs_with_the_nuget_cache_hashes()
    {
        var graph = NugetRestoreGraph.Read(Root, NugetRestoreGraph.NugetCache);
        var deps = NugetRestoreGraph.ReadDepsJson(DepsJson);

        var problems = NugetRestoreGraph.Disagreements(graph, deps);

        Assert.True(problems.Count == 0, NugetRestoreGraph.Explain(problems));
        Assert.Contains(deps, p => p.Id == "Akka");
        Assert.Contains(deps, p => p.Id == "System.CommandLine");
    }

    [Fact]
    public void Every_program_project_commits_its_lock_file()
    {
        foreach (var project in new[] { "src/Hosts/Server", "src/Hosts/Garden", "src/Hosts/Activator", "src/Cli", "src/Actors", "src/Messages" })
            Assert.True(File.Exists(Path.Combine(Root, project, "packages.lock.json")), $"{project}/packages.lock.json is missing: RestorePackagesWithLockFile (Directory.Build.props) writes it on restore; commit it");
    }

    [Fact]
    public void Every_hash_in_deps_json_is_the_sha512_of_the_nupkg_file_the_nix_build_fetches()
    {
        // The .nupkg.sha512 NuGet writes is the SHA-512 of the downloaded file, which is what fetchurl checks (the lock
        // files' contentHash is not: for signed packages it leaves the signature out).
        foreach (var package in NugetRestoreGraph.ReadDepsJson(DepsJson))
        {
            var id = package.Id.ToLowerInvariant();
            var version = package.Version.ToLowerInvariant();
            var nupkg = Path.Combine(NugetRestoreGraph.NugetCache, id, version, $"{id}.{version}.nupkg");
            Assert.True(File.Exists(nupkg), $"{nupkg} is missing: {NugetRestoreGraph.UpdateHint}");
            using var stream = File.OpenRead(nupkg);
            Assert.Equal(package.Hash, "sha512-" + Convert.ToBase64String(SHA512.HashData(stream)));
        }
    }

    [Fact]
    public void The_sdk_packs_are_left_to_nixpkgs_dotnet_sdk_and_real_packages_are_not()
    {
        Assert.True(NugetRestoreGraph.IsSdkPack("Microsoft.AspNetCore.App.Internal.Assets"));
        Assert.True(NugetRestoreGraph.IsSdkPack("Microsoft.NETCore.App.Runtime.linux-arm64"));
        Assert.True(NugetRestoreGraph.IsSdkPack("Microsoft.NETCore.App.Crossgen2.linux-x64"));
        Assert.True(NugetRestoreGraph.IsSdkPack("runtime.linux-x64.Microsoft.DotNet.ILCompiler"));
        Assert.False(NugetRestoreGraph.IsSdkPack("Microsoft.AspNetCore.SignalR.Client"));
        Assert.False(NugetRestoreGraph.IsSdkPack("Microsoft.NETCore.Platforms"));
        Assert.DoesNotContain(NugetRestoreGraph.ReadDepsJson(DepsJson), p => NugetRestoreGraph.IsSdkPack(p.Id));
    }

    [Fact]
    public void A_package_bump_without_update_deps_is_reported_as_a_version_difference_with_the_fix()
    {
        // A copy of the lock files in which one package moved on, as after a bump in Directory.Packages.props.
        var root = CopyLockFiles();
        try
        {
            var lockFile = Path.Combine(root, "src", "Cli", "packages.lock.json");
            File.WriteAllText(lockFile, File.ReadAllText(lockFile).Replace("\"resolved\": \"2.0.15\"", "\"resolved\": \"2.0.99\""));

            var problems = NugetRestoreGraph.Disagreements(
                NugetRestoreGraph.Read(root, NugetRestoreGraph.NugetCache), NugetRestoreGraph.ReadDepsJson(DepsJson));

            Assert.Contains("version: System.CommandLine is 2.0.99 in the restore graph, 2.0.15 in nix/deps.json", problems);
            Assert.Contains(problems, p => p.StartsWith("not in the NuGet cache", StringComparison.Ordinal) && p.EndsWith("System.CommandLine 2.0.99", StringComparison.Ordinal));
            Assert.Contains("nix/update-deps.sh", NugetRestoreGraph.Explain(problems));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Missing_extra_changed_and_duplicated_entries_are_each_reported()
    {
        var graph = new[] { new NugetPackage("A", "1.0.0", "sha512-a"), new NugetPackage("B", "2.0.0", "sha512-b"), new NugetPackage("C", "3.0.0", "sha512-c") };
        var deps = new[]
        {
            new NugetPackage("a", "1.0.0", "sha512-a"), // ids compare case-insensitively, as NuGet does
            new NugetPackage("B", "2.0.0", "sha512-tampered"),
            new NugetPackage("D", "4.0.0", "sha512-d"),
            new NugetPackage("D", "4.0.0", "sha512-d"),
        };

        var problems = NugetRestoreGraph.Disagreements(graph, deps);

        Assert.Equal(
            [
                "listed 2 times in nix/deps.json: D 4.0.0",
                "hash: B 2.0.0 is sha512-b in the NuGet cache, sha512-tampered in nix/deps.json",
                "missing from nix/deps.json: C 3.0.0",
                "not in the restore graph, extra in nix/deps.json: D 4.0.0",
            ],
            problems);
    }

    [Fact]
    public void Update_deps_script_regenerates_the_committed_deps_json_byte_for_byte()
    {
        var output = Path.Combine(Path.GetTempPath(), $"sower-deps-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, stderr) = RunUpdateDeps(output, NugetRestoreGraph.NugetCache);
            Assert.True(code == 0, stderr);
            Assert.Equal(File.ReadAllText(DepsJson), File.ReadAllText(output));
        }
        finally { File.Delete(output); }
    }

    [Fact]
    public void Update_deps_script_refuses_when_packages_are_not_in_the_cache_and_writes_nothing()
    {
        var emptyCache = Directory.CreateTempSubdirectory("sower-empty-nuget-").FullName;
        var output = Path.Combine(emptyCache, "deps.json");
        try
        {
            var (code, _, stderr) = RunUpdateDeps(output, emptyCache);
            Assert.NotEqual(0, code);
            Assert.Contains("not in the NuGet cache", stderr);
            Assert.Contains("dotnet restore Sower.sln", stderr);
            Assert.Empty(Directory.EnumerateFileSystemEntries(emptyCache));
        }
        finally { Directory.Delete(emptyCache, recursive: true); }
    }

    [Fact]
    public void Update_deps_script_takes_each_hash_from_the_caches_sha512_file()
    {
        // A cache holding only what the script reads: one package's recorded hash differs from the real cache's.
        var cache = FakeCache(out var deps);
        var changed = deps.First(p => p.Id == "NodaTime");
        WriteHash(cache, changed, "c2VlZA==");
        var output = Path.Combine(cache, "deps.json");
        try
        {
            var (code, _, stderr) = RunUpdateDeps(output, cache);
            Assert.True(code == 0, stderr);
            var regenerated = NugetRestoreGraph.ReadDepsJson(output);
            Assert.Equal(deps.Select(p => p.Key), regenerated.Select(p => p.Key));
            Assert.Equal("sha512-c2VlZA==", regenerated.Single(p => p.Key == changed.Key).Hash);
            Assert.All(regenerated.Where(p => p.Key != changed.Key), p => Assert.Equal(deps.Single(d => d.Key == p.Key).Hash, p.Hash));
        }
        finally { Directory.Delete(cache, recursive: true); }
    }

    [Fact]
    public void Update_deps_script_refuses_a_package_restored_from_another_feed_than_nuget_org()
    {
        var cache = FakeCache(out var deps);
        var foreign = deps.First(p => p.Id == "Cronos");
        File.WriteAllText(Path.Combine(PackageDirectory(cache, foreign), ".nupkg.metadata"),
            """{ "version": 2, "contentHash": "x", "source": "https://feed.example.org/v3/index.json" }""");
        var output = Path.Combine(cache, "deps.json");
        try
        {
            var (code, _, stderr) = RunUpdateDeps(output, cache);
            Assert.NotEqual(0, code);
            Assert.Contains("cronos 0.13.0 from https://feed.example.org/v3/index.json", stderr);
            Assert.False(File.Exists(output));
        }
        finally { Directory.Delete(cache, recursive: true); }
    }

    /// <summary>A NuGet cache with, for every package of nix/deps.json, its .nupkg.sha512 (the hash deps.json lists) and
    /// a .nupkg.metadata naming nuget.org.</summary>
    private static string FakeCache(out IReadOnlyList<NugetPackage> deps)
    {
        var cache = Directory.CreateTempSubdirectory("sower-fake-nuget-").FullName;
        deps = NugetRestoreGraph.ReadDepsJson(DepsJson);
        foreach (var package in deps)
        {
            Directory.CreateDirectory(PackageDirectory(cache, package));
            WriteHash(cache, package, package.Hash!["sha512-".Length..]);
            File.WriteAllText(Path.Combine(PackageDirectory(cache, package), ".nupkg.metadata"),
                """{ "version": 2, "contentHash": "x", "source": "https://api.nuget.org/v3/index.json" }""");
        }
        return cache;
    }

    private static string PackageDirectory(string cache, NugetPackage package) =>
        Path.Combine(cache, package.Id.ToLowerInvariant(), package.Version.ToLowerInvariant());

    private static void WriteHash(string cache, NugetPackage package, string base64) =>
        File.WriteAllText(Path.Combine(PackageDirectory(cache, package), $"{package.Id.ToLowerInvariant()}.{package.Version.ToLowerInvariant()}.nupkg.sha512"), base64);

    private static (int Code, string Stdout, string Stderr) RunUpdateDeps(string output, string cache)
    {
        var start = new ProcessStartInfo(Path.Combine(Root, "nix", "update-deps.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(output);
        start.Environment["NUGET_PACKAGES"] = cache;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "nix/update-deps.sh did not finish within 60 s");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string CopyLockFiles()
    {
        var root = Directory.CreateTempSubdirectory("sower-locks-").FullName;
        foreach (var lockFile in NugetRestoreGraph.LockFiles(Root))
        {
            var target = Path.Combine(root, Path.GetRelativePath(Root, lockFile));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(lockFile, target);
        }
        return root;
    }
}
