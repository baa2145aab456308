using System.Text.Json.Nodes;
using NodaTime;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>
/// Change-aware activation in a real garden actor system with the fake activator and gateway, over real system trees in a
/// temp directory (issue 16.4): boot instead of switch for a boot-only change, reboot pending reported; a drifted host held
/// against a scheduled deployment of the same system, and a manual deploy that proceeds.
/// </summary>
public sealed class ChangeAwareActivationTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private const string D1 = "dply_aaaaaaaaaaaaaaaaaaaaaaa1";
    private const string D2 = "dply_aaaaaaaaaaaaaaaaaaaaaaa2";
    private const string Policy = """{"any":{"actions":["activate"],"triggers":["manual","scheduled"]}}""";

    /// <summary>A system tree: kernel as a link, etc as a file that names the system itself (like NixOS's scripts).</summary>
    private string System(string name, string kernel, string etc)
    {
        var root = Dir.File("systems/" + name);
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        var blob = Dir.File("blobs/" + kernel);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        if (!File.Exists(blob)) File.WriteAllText(blob, kernel);
        File.CreateSymbolicLink(Path.Combine(root, "kernel"), blob);
        File.WriteAllText(Path.Combine(root, "etc"), etc);
        File.WriteAllText(Path.Combine(root, "bin", "switch-to-configuration"), $"#!/bin/sh\nsystemConfig={root}\n");
        return root;
    }

    private void Point(string link, string target)
    {
        var path = Dir.File(link);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (new FileInfo(path).LinkTarget is not null) File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }

    private List<JsonObject> ConditionReports() => Sent(GardenConditionReport.Method);

    [Fact]
    public void A_boot_only_change_without_restart_permission_is_installed_for_boot_and_reported_as_reboot_pending()
    {
        var running = System("a", "k1", "etc-1");
        var next = System("b", "k2", "etc-1");
        Point("run/current-system", running);
        Point("run/booted-system", running);
        Point("profiles/system", running);
        StartHost(Config(Nixos(policyJson: Policy)));
        AwaitConnectedAndSynced();

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", artifact: next));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);

        var nixos = Activator.Requests.Single(r => r.Type == ActivatorRequestTypes.NixOS);
        Assert.Equal("boot", nixos.Mode);
        var log = string.Join("\n", SeedResults(D1).Select(s => (string?)s["log"]));
        // The trees are not in a Nix store, so the diff itself cannot run: it says so and the deployment goes on.
        Assert.Contains("what changes: not available (the closure diff could not run", log);
        Assert.Contains("only boot components change (kernel)", log);
        Assert.Contains("with mode: boot", log);
        Assert.Contains($"reboot pending (kernel_changed): the host boots {next} next time", log);
        AwaitCondition(() => ConditionReports().Any(r => (string?)r["reboot_pending"]?["system"] == next), TimeSpan.FromSeconds(10));
        var condition = HostConditionStore.For(Store).Current;
        Assert.Equal(next, condition.DeployedSystem);
        Assert.Equal("kernel_changed", condition.RebootPending?.Reason);
        Assert.True(File.Exists(Path.Combine(Store.Directory, HostConditionStore.FileName)));
    }

    [Fact]
    public void A_boot_install_interrupted_by_a_restart_is_read_back_from_the_system_profile_and_marks_reboot_pending()
    {
        var running = System("a", "k1", "etc-1");
        var next = System("b", "k2", "etc-1");
        Point("run/current-system", running);
        Point("profiles/system", next);
        var conditions = new HostConditionStore(Dir.File("conditions"));
        var seed = new GardenSeed("seed_aaaaaaaaaaaaaaaaaaaaaaa1", "web01", "nixos", next, []);
        var roots = Config(Nixos()).Profiles;
        var asSwitch = new ReconcileOutcome(ReconcileVerdict.NotApplied, "the running system is not the artifact");
        var now = Instant.FromUtc(2026, 12, 5, 19, 0);

        // Without the marker it stays what the switch check said.
        Assert.Same(asSwitch, BootInstallReconciler.Adjust(asSwitch, seed, roots, conditions, now, Sys.EventStream));

        conditions.Update(c => c with { BootInstalling = next }, out _);
        var adjusted = BootInstallReconciler.Adjust(asSwitch, seed, roots, conditions, now, Sys.EventStream);
        Assert.Equal(ReconcileVerdict.Applied, adjusted.Verdict);
        Assert.Contains("installed for the next boot", adjusted.Text);
        Assert.Equal(new RebootPending(next, "kernel_changed", now), conditions.Current.RebootPending);
        Assert.Null(conditions.Current.BootInstalling);

        // A profile that does not select the artifact is not read as installed.
        conditions.Update(c => c with { BootInstalling = next }, out _);
        Point("profiles/system", running);
        Assert.Same(asSwitch, BootInstallReconciler.Adjust(asSwitch, seed, roots, conditions, now, Sys.EventStream));
    }

    [Fact]
    public void A_change_beyond_boot_components_switches_live()
    {
        var running = System("a", "k1", "etc-1");
        var next = System("b", "k2", "etc-2");
        Point("run/current-system", running);
        StartHost(Config(Nixos(policyJson: Policy)));
        AwaitConnectedAndSynced();

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", artifact: next));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal("switch", Activator.Requests.Single(r => r.Type == ActivatorRequestTypes.NixOS).Mode);
        Assert.Null(HostConditionStore.For(Store).Current.RebootPending);
    }

    [Fact]
    public void A_drifted_host_is_not_overwritten_by_a_scheduled_deployment_of_the_same_system_but_a_manual_one_proceeds()
    {
        var deployed = System("b", "k2", "etc-2");
        var byHand = System("a", "k1", "etc-1");
        // Sower deployed b; then someone pointed the profile (and the running system) at a by hand.
        new HostConditionStore(Store.Directory).Update(_ => new HostCondition(deployed, "seed_aaaaaaaaaaaaaaaaaaaaaaa1", null, null), out _);
        Point("profiles/system", byHand);
        Point("run/current-system", byHand);
        StartHost(Config(Nixos(policyJson: Policy)));
        AwaitConnectedAndSynced();
        AwaitCondition(() => ConditionReports().Any(r => (string?)r["drift"]?["running"] == byHand), TimeSpan.FromSeconds(10));
        var report = ConditionReports().Last();
        Assert.Equal(deployed, (string?)report["drift"]!["expected"]);
        Assert.Equal("grdn_aaaaaaaaaaaaaaaaaaaaaaaa", (string?)report["garden_sid"]);

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "scheduled", "web", artifact: deployed));
        Assert.Equal("skipped", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("the host has drifted", (string)Assert.Single(SeedResults(D1))["log"]!);
        Assert.Empty(Activator.Requests);

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D2, "manual", "web", artifact: deployed));
        Assert.Equal("success", (string?)AwaitResult(D2)["result"]);
        Assert.Equal("switch", Activator.Requests.Single(r => r.Type == ActivatorRequestTypes.NixOS).Mode);
        Assert.Null(HostConditionStore.For(Store).Current.Drift);
        AwaitCondition(() => ConditionReports().Last()["drift"] is null, TimeSpan.FromSeconds(10));
    }
}

/// <summary>The host condition file, the boot-component comparison over real trees, and the closure diff on the real Nix store.</summary>
public sealed class HostConditionFileAndDiffTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_host_condition_file_round_trips_is_private_and_refuses_unknown_versions()
    {
        var at = Instant.FromUtc(2026, 12, 5, 18, 0);
        var condition = new HostCondition("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b", "seed_x",
            new RebootPending("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b", "kernel_changed", at),
            new Drift("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b", null, "the system profile points at nothing", at),
            "/nix/store/cccccccccccccccccccccccccccccccc-c");
        Assert.Equal(condition, HostConditionStore.Deserialize(HostConditionStore.Serialize(condition)));
        Assert.Equal(HostCondition.None, HostConditionStore.Deserialize(HostConditionStore.Serialize(HostCondition.None)));

        var store = new HostConditionStore(_dir.Path);
        Assert.True(store.Update(_ => condition, out _));
        Assert.False(store.Update(c => c, out _));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal(condition, new HostConditionStore(_dir.Path).Current);

        File.WriteAllText(store.FilePath, """{"v":2}""");
        var unreadable = new HostConditionStore(_dir.Path);
        Assert.Equal(HostCondition.None, unreadable.Current);
        Assert.Contains("unsupported host condition version", unreadable.ReadError);
    }

    [Fact]
    public void Only_entries_that_really_differ_count_and_self_references_do_not()
    {
        string Tree(string name, string kernel, string script)
        {
            var root = Path.Combine(_dir.Path, name);
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.WriteAllText(Path.Combine(root, "kernel"), kernel);
            File.WriteAllText(Path.Combine(root, "bin", "switch-to-configuration"), script.Replace("SELF", root));
            return root;
        }
        var a = Tree("a", "k1", "exec SELF/activate");
        var b = Tree("b", "k2", "exec SELF/activate");
        var c = Tree("c", "k1", "exec SELF/activate --other");
        Assert.Equal(["kernel"], BootChangeClassifier.Differing(a, b, out _));
        Assert.Equal(["bin"], BootChangeClassifier.Differing(a, c, out _));
        Assert.Empty(BootChangeClassifier.Differing(a, a, out _)!);
        Assert.Null(BootChangeClassifier.Differing(a, Path.Combine(_dir.Path, "missing"), out var error));
        Assert.Contains("missing", error);
    }

    [Fact]
    public async Task The_closure_diff_runs_on_the_real_store_and_a_path_it_cannot_read_says_so()
    {
        string Build(string version, string dep)
        {
            var expr = Path.Combine(_dir.Path, "sys.nix");
            File.WriteAllText(expr, """
                { version, dep }:
                let d = derivation { name = "libchg-${dep}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "/bin/dd if=/dev/zero of=$out bs=1024 count=20 2>/dev/null; echo ${dep} >> $out" ]; };
                in derivation { name = "nixos-system-chg-${version}"; system = builtins.currentSystem; builder = "/bin/sh"; inherit d; args = [ "-c" "echo $d > $out" ]; }
                """);
            var start = new System.Diagnostics.ProcessStartInfo("nix-build") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { expr, "--argstr", "version", version, "--argstr", "dep", dep, "--no-out-link", "--option", "sandbox", "false", "--option", "substituters", "" })
                start.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(start)!;
            var path = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
            return path;
        }
        var old = Build("1", "1.0");
        var next = Build("2", "2.5");
        var lines = await ClosureDiffRunner.SummarizeAsync(old, next, TimeSpan.FromSeconds(60));
        Assert.StartsWith("what changes: 2 version change(s), 0 added, 0 removed; closure ", lines[0]);
        Assert.Contains("  libchg: 1.0 → 2.5", lines);
        Assert.Contains("  nixos-system-chg: 1 → 2", lines);

        var missing = await ClosureDiffRunner.SummarizeAsync(old, "/nix/store/00000000000000000000000000000000-gone", TimeSpan.FromSeconds(30));
        Assert.StartsWith("what changes: not available (the closure diff could not run: error:", Assert.Single(missing));
    }
}
