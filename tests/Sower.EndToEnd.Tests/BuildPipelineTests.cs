using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// CI to host: a NixOS system described with the seed library (mkSeedNixos over a real lib.evalModules configuration),
/// built by `sower build --seed`, pushed to the run's signed cache and registered; the garden follows it and the
/// activator switches the system profile to it, fetching it from that cache.
/// </summary>
public sealed class BuildPipelineTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_system_built_and_registered_by_sower_build_is_fetched_from_the_signed_cache_and_switched_by_the_garden()
    {
        const string scenario = "build";
        var seed = SeedName(scenario);
        var records = Nix.RecordsDir(scenario);
        Directory.CreateDirectory(records);
        File.SetUnixFileMode(records, (UnixFileMode)Convert.ToInt32("1777", 8));
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime"]) }, ["pipeline=ci"]),
        });

        // The CI side: a jobs file that uses the repository's seed library and a NixOS-shaped configuration.
        var repo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(World.Binaries.Cli)!, "..", "..", "..", "..", ".."));
        var nixpkgsLib = Environment.GetEnvironmentVariable("SOWER_NIXPKGS_LIB") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.GetFullPath(Path.Combine(repo, "..", "shared", "vendor", "nixpkgs-lib"));
        Assert.True(File.Exists(Path.Combine(nixpkgsLib, "lib", "default.nix")),
            $"the nixpkgs lib is needed to evaluate the seed library: set SOWER_NIXPKGS_LIB or keep shared/vendor/nixpkgs-lib beside the checkout ({nixpkgsLib})");
        var jobs = Path.Combine(World.RunDir, "ci", "jobs.nix");
        Directory.CreateDirectory(Path.GetDirectoryName(jobs)!);
        File.WriteAllText(jobs, $$"""
            let
              lib = import {{nixpkgsLib}}/lib;
              sower = import {{repo}}/nix/lib { inherit lib; };
              nixos = import {{repo}}/nix/tests/seeds/nixos-system.nix {
                inherit lib;
                hostName = "{{seed}}";
                records = "{{records}}";
                salt = "{{World.Nonce}}";
                seedTags = { pipeline = "ci"; };
              };
            in {
              hosts."{{seed}}" = sower.mkSeedNixos { inherit nixos; };
            }
            """);

        // The garden is down while CI runs; the built system then leaves the local store, so the activator must fetch it
        // from the signed cache (as on a real host, which never built it) when the garden comes back and gets the
        // realtime deployment replayed.
        garden.Stop();
        var cache = $"{Nix.CacheUrl}?secret-key={Path.Combine(Nix.Dir, "keys", "sk")}";
        var build = await Shell.RunAsync(World.Binaries.Cli, ["build", jobs, "--seed", "--cache", cache, "--no-git", "--json"], new Dictionary<string, string>
        {
            ["SOWER_ENDPOINT"] = World.Server.Url,
            ["SOWER_ACCESS_TOKEN_FILE"] = World.Server.AdminTokenFile,
            ["SOWER_ACCESS_TOKEN"] = "",
            ["SOWER_CONFIG_FILE"] = Path.Combine(World.RunDir, "no-client.json"),
            ["NIX_CONFIG"] = "substituters =\nsandbox = false\n",
        }, TimeSpan.FromSeconds(120));
        Assert.True(build.ExitCode == 0, $"sower build failed:\n{build}\n{Diagnostics(activator.Process)}");
        var report = JsonNode.Parse(build.Stdout)!;
        Assert.Equal(1, (int)report["registered"]!);
        var job = report["jobs"]!.AsArray().Single()!;
        var path = (string)job["out_path"]!;
        Assert.Equal(["nixos_version=24.11.test", "pipeline=ci", "system=" + (string)job["system"]!],
            job["tags"]!.AsArray().Select(t => $"{(string)t!["key"]!}={(string)t["value"]!}").Order(StringComparer.Ordinal));
        Assert.Equal(1, report["caches"]!.AsArray().Count(c => (bool)c!["ok"]!));

        await WaitForDeploymentAsync(gardenSid, _ => true, "the realtime deployment of the built seed", TimeSpan.FromSeconds(30));
        Shell.Run("nix-store", "--delete", path).EnsureSuccess();
        Assert.False(FakeNix.IsValid(path), "the built system is still in the local store");
        await garden.StartAsync();

        var deployment = await WaitForDeploymentAsync(gardenSid, d => (string?)d["state"] == "completed", "the deployment to complete",
            TimeSpan.FromSeconds(60), garden.Process, activator.Process);
        Assert.Equal("success", Str(deployment, "result"));
        Assert.Equal("realtime", Str(deployment, "trigger"));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Equal([$"switch uid=0 path={path}"], File.ReadAllLines(Path.Combine(records, "activations")));
        // Substituted from the cache (not built here) with the signature `sower build --push` made on the way in.
        var info = FakeNix.PathInfo(path);
        Assert.False((bool?)info["ultimate"] ?? false, $"the system was not substituted: {info.ToJsonString()}");
        Assert.Contains(info["signatures"]!.AsArray(), s => ((string?)s)?.StartsWith(Nix.PublicKey.Split(':')[0] + ":", StringComparison.Ordinal) == true);
    }
}
