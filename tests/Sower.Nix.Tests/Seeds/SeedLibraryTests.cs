using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Sower.Nix.Tests.Seeds;

/// <summary>
/// The seed library (nix/lib) evaluated with the real nixpkgs lib and built by the real Nix, on the offline fixtures of
/// nix/tests/seeds: NixOS- and Home-Manager-shaped configurations made with lib.evalModules, and a stand-in for the two
/// nixpkgs functions mkSeedService calls.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SeedLibraryTests
{
    private static readonly string System =
        SeedProcess.Run("nix-instantiate", ["--eval", "--json", "--expr", "builtins.currentSystem"]).Ok("currentSystem").Stdout.Trim().Trim('"');

    private static JsonNode Seed(string attr) => SeedProcess.EvalJson(attr + ".meta.sower.seed");

    private static Dictionary<string, string> Tags(JsonNode seed) =>
        seed["tags"]!.AsObject().ToDictionary(t => t.Key, t => t.Value!.ToJsonString().Trim('"'));

    [Fact]
    public void The_seed_types_are_the_ones_the_server_knows()
    {
        Assert.Equal(["nixos", "home-manager", "nix-darwin", "service", "gcroot"], SeedProcess.EvalJson("sower.seedTypes").AsArray().Select(t => (string)t!));
    }

    [Fact]
    public void MkSeed_labels_a_derivation_with_name_type_and_tags_as_strings_or_lists_of_strings()
    {
        var seed = Seed("plain");
        Assert.Equal("tools", (string)seed["name"]!);
        Assert.Equal("gcroot", (string)seed["seed_type"]!);
        Assert.Equal("""{"channel":"stable","multi":["a","b"],"n":"3","yes":"true"}""", seed["tags"]!.ToJsonString());
        // Still the same derivation: labelling changes meta only, never the store path.
        Assert.Equal(SeedProcess.EvalJson("plain.drvPath").ToString(), SeedProcess.Run("nix-instantiate",
            ["--eval", "--json", "--expr", "(derivation { name = \"plain\"; system = builtins.currentSystem; builder = \"/bin/sh\"; args = [ \"-c\" \"echo hi > $out\" ]; }).drvPath"]).Ok("plain").Stdout.Trim().Trim('"'));
    }

    [Fact]
    public void MkSeedNixos_tags_system_and_nixos_version_then_the_systems_sower_seed_tags_then_its_own_tags()
    {
        var seed = Seed("nixosWithTags");
        Assert.Equal("web01", (string)seed["name"]!); // networking.hostName
        Assert.Equal("nixos", (string)seed["seed_type"]!);
        // The configuration's sower.seed.tags may override a derived tag; the explicit tags argument comes last.
        Assert.Equal(new Dictionary<string, string>
        {
            ["system"] = "overridden-by-config",
            ["nixos_version"] = "24.11.test",
            ["role"] = "web",
            ["extra"] = "1",
        }, Tags(seed));

        // Without the sower.seed.tags option (the module not imported) the tags default to none.
        Assert.Equal(new Dictionary<string, string> { ["system"] = System, ["nixos_version"] = "24.11.test" }, Tags(Seed("nixosWithoutTagsModule")));
        Assert.Equal("db01", (string)Seed("nixosWithoutTagsModule")["name"]!);
        Assert.Equal("frontend", (string)Seed("nixosNamed")["name"]!);
        // The seed is the system's toplevel.
        Assert.EndsWith("-nixos-system-web01-24.11.test", SeedProcess.EvalJson("nixosWithTags.outPath").ToString());
    }

    [Fact]
    public void MkSeedHomeManager_tags_system_username_home_directory_and_release_and_is_named_after_the_user()
    {
        var seed = Seed("homeSeed");
        Assert.Equal("alice", (string)seed["name"]!);
        Assert.Equal("home-manager", (string)seed["seed_type"]!);
        Assert.Equal(new Dictionary<string, string>
        {
            ["system"] = System,
            ["username"] = "alice",
            ["home_directory"] = "/home/alice",
            ["release"] = "24.11",
            ["team"] = "ops",
        }, Tags(seed));
        Assert.EndsWith("-home-manager-generation", SeedProcess.EvalJson("homeSeed.outPath").ToString());
    }

    [Fact]
    public void The_generators_make_a_sowerJobs_tree_by_system_and_kind_named_by_host_and_user()
    {
        var names = SeedProcess.EvalJson("jobs")[System]!;
        Assert.Equal(["home-manager", "nixos"], names.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["db", "web01"], names["nixos"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("web01", (string)Seed($"jobs.{System}.nixos.web01")["name"]!);
        // A system without a host name is named after its attribute.
        Assert.Equal("db", (string)Seed($"jobs.{System}.nixos.db")["name"]!);
        Assert.Equal("alice", (string)Seed($"jobs.{System}.home-manager.\"alice@web01\"")["name"]!);
    }

    [Theory]
    [InlineData("nixosNoHostName", "sower: mkSeedNixos: the system has no networking.hostName; pass name")]
    [InlineData("badType", "sower: mkSeed: seed \"x\" has type \"nix\"; expected one of nixos, home-manager, nix-darwin, service, gcroot")]
    [InlineData("emptyName", "sower: mkSeed: name must be a non-empty string")]
    [InlineData("notADerivation", "sower: mkSeed: seed \"x\": drv must be a derivation, not a set")]
    [InlineData("badTag", "sower: tag f of seed \"x\" must be a string or a list of strings, not a lambda")]
    [InlineData("unknownServiceKey", "sower: mkSeedService: services.a has unknown attribute(s) wantedby (supported: enable, description,")]
    [InlineData("badUnitName", "sower: mkSeedService: \"../etc/passwd\" is not a valid unit name")]
    [InlineData("noUnits", "sower: mkSeedService: service seed \"x\" defines no enabled unit")]
    public void Bad_definitions_fail_evaluation_with_a_message_that_names_the_problem(string attr, string message)
    {
        var result = SeedProcess.Eval(attr + ".meta.sower.seed");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error: " + message, result.Stderr);
    }

    [Fact]
    public void MkSeedService_renders_nixos_style_definitions_into_unit_files_systemd_accepts()
    {
        var bundle = SeedProcess.Build("service");
        var units = Path.Combine(bundle, ".sower", "systemd", "system");
        Assert.Equal(["cleanup.service", "cleanup.timer", "hello.service", "hello.socket", "nightly.service", "nightly.timer"],
            Directory.GetFiles(units).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(units, "off.service"))); // enable = false

        var hello = File.ReadAllText(Path.Combine(units, "hello.service"));
        Assert.Contains("[Unit]\nAfter=network.target hello.socket\nDescription=Say hello\n", hello);
        Assert.Contains("Environment=\"GREETING=hello \\\"world\\\"\"\n", hello);
        Assert.Contains("DynamicUser=true\n", hello);
        Assert.Contains("RestartSec=5\n", hello);
        var exec = hello.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];
        Assert.StartsWith("/nix/store/", exec);
        Assert.Contains("echo $GREETING", File.ReadAllText(exec)); // the script, built into the store
        Assert.Equal("[Socket]\nListenStream=/run/hello.sock\nListenStream=127.0.0.1:9999\nSocketMode=0660\n\n", File.ReadAllText(Path.Combine(units, "hello.socket")));
        Assert.Equal("[Timer]\nOnCalendar=daily\n\n", File.ReadAllText(Path.Combine(units, "nightly.timer"))); // from startAt

        // wantedBy / requiredBy: links next to the units, as NixOS makes them.
        Assert.Equal("../hello.service", new FileInfo(Path.Combine(units, "multi-user.target.wants", "hello.service")).LinkTarget);
        Assert.Equal("../hello.socket", new FileInfo(Path.Combine(units, "sockets.target.wants", "hello.socket")).LinkTarget);
        Assert.Equal("../cleanup.timer", new FileInfo(Path.Combine(units, "timers.target.wants", "cleanup.timer")).LinkTarget);
        Assert.Equal("../cleanup.service", new FileInfo(Path.Combine(units, "hello.service.requires", "cleanup.service")).LinkTarget);

        // systemd itself finds nothing to complain about (it reports unknown keys on stderr and still exits 0).
        var verify = SeedProcess.Run("systemd-analyze", ["verify", "--man=no",
            .. Directory.GetFiles(units).Order(StringComparer.Ordinal).Select(f => "./" + Path.GetFileName(f))], cwd: units);
        Assert.True(verify.ExitCode == 0 && verify.Stdout.Length == 0 && verify.Stderr.Length == 0, $"systemd-analyze verify:\n{verify.Stderr}{verify.Stdout}");

        var seed = Seed("service");
        Assert.Equal("hello", (string)seed["name"]!);
        Assert.Equal("service", (string)seed["seed_type"]!);
        Assert.Equal(new Dictionary<string, string> { ["system"] = System, ["tier"] = "edge" }, Tags(seed));
    }

    [Fact]
    public void The_real_activator_switches_a_mkSeedService_bundle_with_every_unit_and_link_in_place()
    {
        var bundle = SeedProcess.Build("service");
        var dir = Directory.CreateTempSubdirectory("sower-seed-services-").FullName;
        // Signed with a key the activator's operator trusts, as a bundle fetched from a signed cache would be.
        SeedProcess.Run("nix-store", ["--generate-binary-cache-key", "sower-seed-test-1", Path.Combine(dir, "sk"), Path.Combine(dir, "pk")]).Ok("key");
        SeedProcess.Run("nix", ["--extra-experimental-features", "nix-command", "store", "sign", "--recursive", "--key-file", Path.Combine(dir, "sk"), bundle]).Ok("sign");
        var log = Path.Combine(dir, "sd-switch.log");
        var sdSwitch = Path.Combine(dir, "sd-switch");
        File.WriteAllText(sdSwitch, $"#!/bin/sh\necho \"$@\" >> {log}\n");
        File.SetUnixFileMode(sdSwitch, (UnixFileMode)Convert.ToInt32("755", 8));
        var state = Path.Combine(dir, "services");
        var config = Path.Combine(dir, "activator.json");
        File.WriteAllText(config, new JsonObject
        {
            ["services_state_dir"] = state,
            ["sd_switch_command"] = sdSwitch,
            ["extra_trusted_public_keys"] = new JsonArray(File.ReadAllText(Path.Combine(dir, "pk")).Trim()),
        }.ToJsonString());
        File.SetUnixFileMode(config, (UnixFileMode)Convert.ToInt32("600", 8));

        var request = new JsonObject
        {
            ["id"] = "seed-lib-1",
            ["type"] = "services",
            ["seeds"] = new JsonArray(new JsonObject { ["name"] = "hello", ["path"] = bundle }),
        };
        // Pipe mode, as root: the request on stdin, JSON frames on stdout, a final complete frame with the exit code.
        var run = SeedProcess.Run(SeedProcess.Dotnet, [SeedProcess.Dll("Hosts/Activator", "sower-activator"), "--config", config], stdin: request.ToJsonString() + "\n");
        var frames = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var complete = frames.Last();
        Assert.True((string?)complete["type"] == "complete" && (int?)complete["exit_code"] == 0, $"activator:\n{run.Stdout}\n{run.Stderr}");

        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bundle + "\n")));
        var installed = Path.Combine(state, id, "systemd", "system");
        Assert.Equal([$"--system --new-units {installed}"], File.ReadAllLines(log));
        Assert.Equal(id, new FileInfo(Path.Combine(state, "current")).LinkTarget);
        foreach (var unit in Directory.GetFiles(Path.Combine(bundle, ".sower", "systemd", "system")))
        {
            Assert.Equal(File.ReadAllText(unit), File.ReadAllText(Path.Combine(installed, Path.GetFileName(unit))));
        }
        // The wants links survive the copy and still lead to the unit in the store.
        var wanted = new FileInfo(Path.Combine(installed, "multi-user.target.wants", "hello.service"));
        Assert.Equal(Path.Combine(bundle, ".sower", "systemd", "system", "hello.service"), wanted.LinkTarget);
        Assert.True(File.Exists(Path.Combine(installed, "hello.service.requires", "cleanup.service")));
        Assert.DoesNotContain(frames, f => ((string?)f["data"])?.Contains("WARN", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Sower_build_finds_every_seed_the_library_makes_with_the_metadata_it_registers()
    {
        var cli = SeedProcess.Dll("Cli", "sower");
        var run = SeedProcess.Run(SeedProcess.Dotnet, [cli, "build", "jobs.nix", "--json"], new Dictionary<string, string?>
        {
            ["SOWER_NIXPKGS_LIB"] = NixpkgsLib.Path,
            ["SOWER_TEST_SALT"] = Guid.NewGuid().ToString("N"), // fresh systems: really built, not found in the store
        });
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var report = JsonNode.Parse(run.Stdout)!;
        var jobs = report["jobs"]!.AsArray().ToDictionary(j => (string)j!["attr"]!, j => j!);
        Assert.Equal([$"{System}.home-manager.\"alice@web01\"", $"{System}.nixos.db", $"{System}.nixos.web01", $"{System}.service.hello"], jobs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4, (int)report["built"]!);
        var web = jobs[$"{System}.nixos.web01"];
        Assert.Equal("nixos", (string)web["seed"]!["seed_type"]!);
        Assert.Equal("24.11.test", (string)web["seed"]!["tags"]!["nixos_version"]!);
        // Built artifacts carry the markers `seed submit` (and so `build --seed`) checks.
        Assert.True(File.Exists(Path.Combine((string)web["out_path"]!, "nixos-version")));
        Assert.True(File.Exists(Path.Combine((string)jobs[$"{System}.home-manager.\"alice@web01\""]["out_path"]!, "hm-version")));
        Assert.True(Directory.Exists(Path.Combine((string)jobs[$"{System}.service.hello"]["out_path"]!, ".sower", "systemd")));
    }
}
