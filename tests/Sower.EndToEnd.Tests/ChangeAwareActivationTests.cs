using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// Change-aware activation on the real processes and the real Nix store (issue 16.4): a boot-only change installed with
/// <c>boot</c> and shown as "reboot pending" until the host boots it; a profile switched by hand noticed as "drifted" and
/// not overwritten by a scheduled deployment of the same seed, and cleared by a manual deploy.
/// </summary>
public sealed class ChangeAwareActivationTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_boot_only_change_without_restart_permission_is_installed_for_boot_and_shown_as_reboot_pending_until_booted()
    {
        const string scenario = "changes-boot";
        var seed = SeedName(scenario);
        var records = Nix.RecordsDir(scenario);
        var basePath = Nix.PathOf("chg-base");
        File.CreateSymbolicLink(Path.Combine(records, "booted-system"), basePath);
        File.CreateSymbolicLink(Path.Combine(records, "current-system"), basePath);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["by-hand"] = PolicyRule(["activate"], ["manual"]) }),
        });
        var path = Nix.PathOf("chg-kernel"); // the base system with another kernel and initrd only
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();

        var accepted = await Cli.JsonAsync("deploy", garden.Name, "system");
        var done = await WaitForStateAsync(Str(accepted, "deployment_sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);

        Assert.Equal("success", Str(done, "result"));
        AssertLog(done, "what changes: ");
        AssertLog(done, "only boot components change (initrd, kernel) and restart is not permitted now");
        AssertLog(done, "with mode: boot");
        AssertLog(done, $"reboot pending (kernel_changed): the host boots {path} next time");
        Assert.Equal([$"boot uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Equal(basePath, new FileInfo(Path.Combine(records, "current-system")).LinkTarget);
        Assert.Empty(activator.Reboots());

        JsonNode? shown = null;
        await Wait.Until(async () => (shown = await Cli.JsonAsync("garden", "show", gardenSid))["reboot_pending"] is JsonObject, TimeSpan.FromSeconds(20),
            "garden show to say reboot pending", () => Diagnostics(garden.Process));
        Assert.Equal(path, Str(shown!["reboot_pending"], "system"));
        Assert.Equal("kernel_changed", Str(shown!["reboot_pending"], "reason"));
        var listed = (await Cli.JsonAsync("garden", "list"))["gardens"]!.AsArray().Single(g => Str(g, "sid") == gardenSid)!;
        Assert.True((bool?)listed["reboot_pending"]);
        Assert.False((bool?)listed["drifted"]);
        var table = await Cli.RunAsync("garden", "list");
        Assert.Contains("reboot-pending", table.Stdout);

        // The host reboots into the new generation; the garden sees it when it starts and clears the mark.
        garden.Stop();
        File.Delete(Path.Combine(records, "booted-system"));
        File.Delete(Path.Combine(records, "current-system"));
        File.CreateSymbolicLink(Path.Combine(records, "booted-system"), path);
        File.CreateSymbolicLink(Path.Combine(records, "current-system"), path);
        await garden.StartAsync();
        await Wait.Until(async () => (await Cli.JsonAsync("garden", "show", gardenSid))["reboot_pending"] is null, TimeSpan.FromSeconds(20),
            "the reboot pending mark to clear after the boot", () => Diagnostics(garden.Process));
    }

    [Fact]
    public async Task A_profile_switched_by_hand_is_shown_as_drifted_and_not_overwritten_by_a_scheduled_deployment_of_the_same_seed()
    {
        const string scenario = "changes-drift";
        var seed = SeedName(scenario);
        // Once a minute, at the second ~20 s from now (6-field cron with seconds, a documented schedule format): the
        // first deploy, the switch by hand and the garden's restart take ~10 s, so the first fire usually comes right
        // after the drift instead of at the next minute boundary. A fire that lands earlier is harmless; the wait below
        // then takes the next one, a minute later.
        var firstFire = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["any"] = PolicyRule(["activate"], ["manual", "scheduled"]) },
                schedule: $"{firstFire.Second} * * * * *"),
        });
        var deployed = Nix.PathOf("drift-1");
        var byHand = Nix.PathOf("drift-2");
        (await Cli.RunAsync("seed", "submit", deployed, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        var first = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        Assert.Equal("success", Str(await WaitForStateAsync(first, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process), "result"));
        var activations = Nix.Activations(scenario).Length;

        // Someone switches the host by hand to another system (nix-env --set, then its switch-to-configuration).
        Shell.Run("nix-env", "--profile", activator.SystemProfile, "--set", byHand).EnsureSuccess();
        var current = Path.Combine(Nix.RecordsDir(scenario), "current-system");
        File.Delete(current);
        File.CreateSymbolicLink(current, byHand);
        garden.Stop();
        await garden.StartAsync();

        JsonNode? shown = null;
        await Wait.Until(async () => (shown = await Cli.JsonAsync("garden", "show", gardenSid))["drift"] is JsonObject, TimeSpan.FromSeconds(20),
            "garden show to say drifted", () => Diagnostics(garden.Process));
        Assert.Equal(deployed, Str(shown!["drift"], "expected"));
        Assert.Equal(byHand, Str(shown!["drift"], "running"));
        Assert.True((bool?)(await Cli.JsonAsync("garden", "list"))["gardens"]!.AsArray().Single(g => Str(g, "sid") == gardenSid)!["drifted"]);

        // The next cron fire asks for the same seed again: the host keeps what was set by hand.
        var fires = garden.Process.Count("scheduled request");
        await Wait.Until(() => garden.Process.Count("scheduled request") > fires, TimeSpan.FromSeconds(150), "a scheduled request after the drift",
            () => Diagnostics(garden.Process));
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(byHand, activator.Profile().Target);
        Assert.Equal(activations, Nix.Activations(scenario).Length);
        Assert.True((await Cli.JsonAsync("garden", "show", gardenSid))["drift"] is JsonObject, "the drift mark went away without a deployment");

        // A manual deploy is a decision: it proceeds, and the host runs what Sower deployed again.
        var manual = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        Assert.Equal("success", Str(await WaitForStateAsync(manual, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process), "result"));
        Assert.Equal(deployed, activator.Profile().Target);
        await Wait.Until(async () => (await Cli.JsonAsync("garden", "show", gardenSid))["drift"] is null, TimeSpan.FromSeconds(20),
            "the drift mark to clear", () => Diagnostics(garden.Process));
    }
}
