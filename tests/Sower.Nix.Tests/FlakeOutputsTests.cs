using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sower.Nix.Tests;

/// <summary>The flake's outputs have the shape the README promises: the four programs for both systems, built with
/// buildDotnetModule from nix/deps.json; the overlay; the NixOS and Home-Manager modules defaulting to this flake's
/// packages; the seed library; the checks.</summary>
public sealed partial class FlakeOutputsTests
{
    private static readonly string[] Systems = ["aarch64-linux", "x86_64-linux"];
    private static readonly string[] Programs = ["sower", "sower-activator", "sower-garden", "sower-server"];

    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionProperty();

    [Fact]
    public void The_flake_takes_only_nixpkgs_and_builds_for_x86_64_and_aarch64_linux()
    {
        Assert.Equal(["nixpkgs"], FlakeOutputs.At("inputs").Names());
        Assert.Equal(Systems, FlakeOutputs.At("packages").Names());
        Assert.Equal(Systems, FlakeOutputs.At("checks").Names());
    }

    [Theory]
    [InlineData("sower-server", "src/Hosts/Server/Sower.Server.csproj", "dotnet-aspnetcore_10")]
    [InlineData("sower-garden", "src/Hosts/Garden/Sower.Garden.csproj", "dotnet-runtime_10")]
    [InlineData("sower-activator", "src/Hosts/Activator/Sower.Activator.csproj", "dotnet-runtime_10")]
    [InlineData("sower", "src/Cli/Sower.Cli.csproj", "dotnet-runtime_10")]
    public void Each_program_is_built_with_buildDotnetModule_from_its_project_and_the_committed_nuget_lock(string name, string project, string runtime)
    {
        var version = VersionProperty().Match(File.ReadAllText(Path.Combine(NixpkgsLib.RepositoryRoot, "Directory.Build.props"))).Groups[1].Value;
        foreach (var system in Systems)
        {
            var package = FlakeOutputs.At("packages", system, name);
            Assert.Equal("buildDotnetModule", package.GetProperty("builder").GetString());
            Assert.Equal(name, package.GetProperty("pname").GetString());
            Assert.Equal(version, package.GetProperty("version").GetString());
            Assert.Equal(project, package.GetProperty("projectFile").GetString());
            Assert.True(File.Exists(Path.Combine(NixpkgsLib.RepositoryRoot, project)), project);
            Assert.Equal("nix/deps.json", package.GetProperty("nugetDeps").GetString());
            Assert.Equal("dotnet-sdk_10", package.GetProperty("sdk").GetString());
            Assert.Equal(runtime, package.GetProperty("runtime").GetString());
            Assert.Equal([name], package.GetProperty("executables").Strings());
            Assert.Equal(name, package.GetProperty("mainProgram").GetString());
            Assert.Equal(["x86_64-linux", "aarch64-linux"], package.GetProperty("platforms").Strings());
            Assert.False(string.IsNullOrWhiteSpace(package.GetProperty("description").GetString()));
            // Warnings stay errors in test.sh; a newer SDK's new analyzer warning must not break the package build.
            Assert.Equal(["-p:TreatWarningsAsErrors=false"], package.GetProperty("flags").Strings());
        }
    }

    [Fact]
    public void Each_executable_is_the_assembly_name_its_project_builds()
    {
        foreach (var name in Programs)
        {
            var package = FlakeOutputs.At("packages", "x86_64-linux", name);
            var project = File.ReadAllText(Path.Combine(NixpkgsLib.RepositoryRoot, package.GetProperty("projectFile").GetString()!));
            Assert.Contains($"<AssemblyName>{package.GetProperty("executables")[0].GetString()}</AssemblyName>", project);
        }
    }

    [Fact]
    public void The_server_project_needs_the_aspnetcore_runtime_it_is_given_and_the_others_do_not()
    {
        // The runtime each package wraps must be the shared frameworks its runtimeconfig asks for.
        foreach (var name in Programs)
        {
            var package = FlakeOutputs.At("packages", "x86_64-linux", name);
            var project = File.ReadAllText(Path.Combine(NixpkgsLib.RepositoryRoot, package.GetProperty("projectFile").GetString()!));
            var web = project.Contains("Sdk=\"Microsoft.NET.Sdk.Web\"", StringComparison.Ordinal) || project.Contains("FrameworkReference", StringComparison.Ordinal);
            Assert.Equal(web ? "dotnet-aspnetcore_10" : "dotnet-runtime_10", package.GetProperty("runtime").GetString());
        }
    }

    [Fact]
    public void The_garden_is_restored_and_published_ReadyToRun_as_dotnet_publish_builds_it()
    {
        var garden = FlakeOutputs.At("packages", "x86_64-linux", "sower-garden");
        Assert.Contains("-p:PublishReadyToRun=true", garden.GetProperty("restoreFlags").Strings());
        Assert.Contains("-p:PublishReadyToRun=true", garden.GetProperty("installFlags").Strings());
        Assert.Contains("<PublishReadyToRun>true</PublishReadyToRun>",
            File.ReadAllText(Path.Combine(NixpkgsLib.RepositoryRoot, "src", "Hosts", "Garden", "Sower.Garden.csproj")));
        foreach (var other in new[] { "sower", "sower-activator", "sower-server" })
            Assert.Empty(FlakeOutputs.At("packages", "x86_64-linux", other, "restoreFlags").Strings());
    }

    [Fact]
    public void The_cli_installs_bash_zsh_and_fish_completions_that_the_built_cli_prints()
    {
        var cli = FlakeOutputs.At("packages", "x86_64-linux", "sower");
        Assert.Contains("installShellFiles", cli.GetProperty("nativeBuildInputs").Strings());
        var postFixup = cli.GetProperty("postFixup").GetString()!;
        Assert.Contains("installShellCompletion --cmd sower", postFixup);
        foreach (var shell in new[] { "bash", "zsh", "fish" })
        {
            Assert.Contains($"--{shell} <($out/bin/sower completion {shell})", postFixup);
            // The command the build runs exists and prints a script for that shell.
            var (code, stdout, stderr) = RunCli("completion", shell);
            Assert.True(code == 0, stderr);
            Assert.Contains("sower", stdout);
            Assert.Contains("[suggest:", stdout);
        }
        Assert.Equal("", FlakeOutputs.At("packages", "x86_64-linux", "sower-server", "postFixup").GetString());
    }

    [Fact]
    public void The_default_package_is_the_cli()
    {
        foreach (var system in Systems)
        {
            Assert.Equal([.. Programs.Append("default").Order(StringComparer.Ordinal)], FlakeOutputs.At("packages", system).Names());
            Assert.Equal("sower", FlakeOutputs.At("packages", system, "default", "pname").GetString());
        }
    }

    [Fact]
    public void The_overlay_adds_the_four_programs_to_pkgs()
    {
        var overlay = FlakeOutputs.At("overlay");
        Assert.Equal(Programs, overlay.Names());
        foreach (var name in Programs)
        {
            Assert.Equal(name, overlay.GetProperty(name).GetProperty("pname").GetString());
            Assert.Equal("nix/deps.json", overlay.GetProperty(name).GetProperty("nugetDeps").GetString());
        }
    }

    [Fact]
    public void The_nixos_modules_import_their_files_and_default_their_packages_to_this_flakes()
    {
        Assert.Equal(["activator", "default", "garden", "server"], FlakeOutputs.At("nixosModules").Names());

        AssertModule("server", ["nix/modules/nixos/server.nix"], ("server", "package", "sower-server"));
        AssertModule("activator", ["nix/modules/nixos/activator.nix"], ("activator", "package", "sower-activator"));
        // Enabling the garden enables the activator: the garden module brings the activator's, with its package.
        AssertModule("garden", ["nix/modules/nixos/activator.nix", "nix/modules/nixos/garden.nix"],
            ("garden", "package", "sower-garden"), ("activator", "package", "sower-activator"));
        AssertModule("default",
            ["nix/modules/nixos/activator.nix", "nix/modules/nixos/default.nix", "nix/modules/nixos/garden.nix", "nix/modules/nixos/server.nix"],
            ("server", "package", "sower-server"), ("garden", "package", "sower-garden"), ("activator", "package", "sower-activator"));
    }

    [Fact]
    public void The_home_manager_module_defaults_the_user_gardens_package_and_the_activators_where_declared()
    {
        var module = FlakeOutputs.At("homeManagerModules", "default");
        Assert.Equal(["nix/modules/home-manager/garden.nix"], module.GetProperty("files").Strings());
        Assert.EndsWith("flake.nix#homeManagerModules.default", module.GetProperty("key").GetString());
        Assert.Equal([("garden", "package", "sower-garden")], Defaults(module));
        Assert.Equal([("garden", "activatorPackage", "sower-activator"), ("garden", "package", "sower-garden")],
            Defaults(FlakeOutputs.At("homeManagerModules", "defaultWithActivatorOption")));
    }

    [Fact]
    public void The_flake_exports_the_seed_library_of_nix_lib()
    {
        var lib = FlakeOutputs.At("lib");
        if (!File.Exists(Path.Combine(NixpkgsLib.RepositoryRoot, "nix", "lib", "default.nix")))
        {
            // The seed library is written on another branch; until it is merged there is nothing to export.
            Assert.Equal(JsonValueKind.Null, lib.ValueKind);
            return;
        }
        var functions = lib.Strings();
        foreach (var name in new[] { "mkSeed", "mkSeedNixos", "mkSeedHomeManager", "mkSeedService", "genNixosSeeds", "genHomeManagerSeeds" })
            Assert.Contains(name, functions);
    }

    [Fact]
    public void The_checks_build_the_packages_check_the_lock_and_run_the_vm_test()
    {
        foreach (var system in Systems)
            Assert.Equal([.. Programs.Concat(["deps-json", "vm", "vm-config"]).Order(StringComparer.Ordinal)], FlakeOutputs.At("checks", system).Strings());

        var vm = FlakeOutputs.At("vm");
        Assert.Equal("nixosTest", vm.GetProperty("builder").GetString());
        Assert.Equal("sower-vm", vm.GetProperty("name").GetString());
        Assert.Equal(["machine"], vm.GetProperty("nodes").Strings());
        var script = vm.GetProperty("testScript").GetString()!;
        foreach (var step in new[] { "wait_for_unit(\"sower-server.service\")", "wait_for_unit(\"sower-activator.socket\")",
                     "token create", "--role garden:register", "start sower-garden.service", "seed submit", "/nix/var/nix/profiles/system" })
            Assert.Contains(step, script);
    }

    [Fact]
    public void The_source_is_src_and_its_build_files_without_local_build_output()
    {
        var source = FlakeOutputs.At("source", "keeps");
        foreach (var kept in new[] { "project", "code", "buildProps", "packagesProps", "globalJson", "lockFile" })
            Assert.True(source.GetProperty(kept).GetBoolean(), kept);
        foreach (var left in new[] { "binDirectory", "objDirectory", "tests", "nix", "readme", "flake" })
            Assert.False(source.GetProperty(left).GetBoolean(), left);
        Assert.Equal(NixpkgsLib.RepositoryRoot, FlakeOutputs.At("packages", "x86_64-linux", "sower", "src").GetString());
    }

    private static void AssertModule(string name, string[] files, params (string Service, string Option, string Package)[] defaults)
    {
        var module = FlakeOutputs.At("nixosModules", name);
        Assert.Equal(files, module.GetProperty("files").Strings().Distinct().Order(StringComparer.Ordinal).ToArray());
        // A key: the module system imports each wrapper once, however many of our modules pull it in.
        Assert.EndsWith($"flake.nix#nixosModules.{name}", module.GetProperty("key").GetString());
        Assert.Equal(defaults.Order().ToArray(), Defaults(module).Distinct().ToArray());
    }

    /// <summary>(service, option, pname) of every package default a module sets, checked to be mkDefault (priority 1000,
    /// so a user's own value wins) and built for the system the module is evaluated for.</summary>
    private static (string, string, string)[] Defaults(JsonElement module) =>
        module.GetProperty("defaults").EnumerateArray()
            .SelectMany(d => d.GetProperty("values").EnumerateObject().Select(v =>
            {
                Assert.Equal(1000, v.Value.GetProperty("priority").GetInt32());
                Assert.Equal("aarch64-linux", v.Value.GetProperty("system").GetString());
                return (d.GetProperty("option").GetString()!["services.sower.".Length..], v.Name, v.Value.GetProperty("pname").GetString()!);
            }))
            .Order()
            .ToArray();

    private static (int Code, string Stdout, string Stderr) RunCli(params string[] args)
    {
        // The CLI built next to the tests' configuration (the test project builds it, without referencing it).
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testBin.Parent!.Name; // …/bin/<Configuration>/net10.0
        var dll = Path.Combine(NixpkgsLib.RepositoryRoot, "src", "Cli", "bin", configuration, testBin.Name, "sower.dll");
        Assert.True(File.Exists(dll), $"missing {dll}");
        var start = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "sower did not exit within 60 s");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
