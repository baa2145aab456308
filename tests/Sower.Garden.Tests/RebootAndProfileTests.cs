using System.Text.Json.Nodes;
using Sower.Actors.Garden;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Garden.Tests;

/// <summary>The reboot decision and the profile report over real symlink trees in a temp directory.</summary>
public sealed class RebootAndProfileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string System(string name, string kernel, string initrd, string? modules)
    {
        var root = Path.Combine(_dir.Path, "store", name);
        Directory.CreateDirectory(root);
        Link(Path.Combine(root, "kernel"), Blob(kernel));
        Link(Path.Combine(root, "initrd"), Blob(initrd));
        if (modules is not null) Link(Path.Combine(root, "kernel-modules"), Blob(modules));
        return root;
    }

    private string Blob(string name)
    {
        var path = Path.Combine(_dir.Path, "store", "blobs", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) File.WriteAllText(path, name);
        return path;
    }

    private static void Link(string link, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
        File.CreateSymbolicLink(link, target);
    }

    private ProfileRoots Roots(string newSystem, string booted, string current)
    {
        var profiles = Path.Combine(_dir.Path, "profiles");
        Link(Path.Combine(profiles, "system-7-link"), newSystem);
        Link(Path.Combine(profiles, "system"), "system-7-link"); // relative, like nix-env
        Link(Path.Combine(_dir.Path, "run", "booted-system"), booted);
        Link(Path.Combine(_dir.Path, "run", "current-system"), current);
        return new ProfileRoots(Path.Combine(profiles, "system"), Path.Combine(_dir.Path, "run", "current-system"), Path.Combine(_dir.Path, "run", "booted-system"), Path.Combine(_dir.Path, "per-user"), _dir.Path);
    }

    [Fact]
    public void A_different_kernel_initrd_or_module_set_needs_a_reboot_in_that_order()
    {
        var booted = System("booted", "k1", "i1", "m1");
        Assert.Equal("kernel_changed", RebootDecider.Decide("success", Roots(System("n1", "k2", "i2", "m2"), booted, booted)).Reason);
        Assert.Equal("initrd_changed", RebootDecider.Decide("success", Roots(System("n2", "k1", "i2", "m1"), booted, booted)).Reason);
        var modules = RebootDecider.Decide("success", Roots(System("n3", "k1", "i1", "m2"), booted, booted));
        Assert.Equal("modules_changed", modules.Reason);
        Assert.Equal(["reboot initiated: modules_changed"], modules.Lines);
        Assert.Equal("modules_changed", RebootDecider.Decide("success", Roots(System("n4", "k1", "i1", null), booted, booted)).Reason);
    }

    [Fact]
    public void Same_boot_components_switch_live_or_need_nothing_and_path_strings_do_not_matter()
    {
        var booted = System("booted", "k1", "i1", "m1");
        var newSystem = System("new", "k1", "i1", "m1"); // different system, same canonical kernel/initrd/modules
        var live = RebootDecider.Decide("success", Roots(newSystem, booted, booted));
        Assert.Null(live.Reason);
        Assert.True(live.SwitchLive);
        Assert.Equal(["no reboot required; switching live"], live.Lines);
        var nothing = RebootDecider.Decide("success", Roots(newSystem, booted, newSystem));
        Assert.False(nothing.SwitchLive);
        Assert.Equal(["no reboot required"], nothing.Lines);
    }

    [Fact]
    public void Not_success_skips_and_an_unresolvable_path_fails_the_check()
    {
        var booted = System("booted", "k1", "i1", "m1");
        Assert.Equal(["reboot skipped: deployment result was partial"], RebootDecider.Decide("partial", Roots(booted, booted, booted)).Lines);
        var roots = Roots(booted, Path.Combine(_dir.Path, "gone"), booted);
        var failed = RebootDecider.Decide("success", roots);
        Assert.Null(failed.Reason);
        Assert.StartsWith("reboot check failed: ", failed.Lines.Single());
        Assert.True(failed.CheckFailed);
        Assert.False(RebootDecider.Decide("success", Roots(booted, booted, booted)).CheckFailed);
    }

    [Fact]
    public void A_symlink_loop_is_detected()
    {
        Link(_dir.File("a"), _dir.File("b"));
        Link(_dir.File("b"), _dir.File("a"));
        Assert.Null(SymlinkResolver.Canonicalize(_dir.File("a"), out var error));
        Assert.Contains("too many levels of symbolic links", error);
    }

    [Fact]
    public void Generations_are_sorted_numerically_with_the_current_one_marked()
    {
        var profiles = Path.Combine(_dir.Path, "profiles");
        foreach (var n in new[] { 9, 10, 2 }) Link(Path.Combine(profiles, $"system-{n}-link"), System($"s{n}", "k", "i", "m"));
        Link(Path.Combine(profiles, "system"), "system-10-link");
        Link(Path.Combine(_dir.Path, "run", "current-system"), Path.Combine(_dir.Path, "store", "s9"));
        var roots = new ProfileRoots(Path.Combine(profiles, "system"), Path.Combine(_dir.Path, "run", "current-system"), _dir.File("booted"), _dir.File("pu"), _dir.Path);
        var spec = new SubscriptionSpec("web", "web01", SeedType.NixOS, [], null, null, Policy.Default);
        var report = ProfileScanner.Scan([new SyncedSubscription("sub_a", spec), new SyncedSubscription("sub_b", spec with { Name = "again" })], roots, "root");
        var profile = Assert.Single((JsonArray)report["profiles"]!)!;
        var generations = ((JsonArray)profile["generations"]!).Select(g => g!).ToList();
        Assert.Equal([2, 9, 10], generations.Select(g => (int)g["generation_number"]!));
        Assert.Equal([false, true, false], generations.Select(g => (bool)g["is_current"]!));
        Assert.EndsWith("/store/s9", (string)generations[1]["path"]!);
    }

    [Fact]
    public void Home_manager_profiles_belong_to_the_target_user_with_a_user_tag()
    {
        var home = Path.Combine(_dir.Path, "home");
        var profile = Path.Combine(home, ".local", "state", "nix", "profiles", "home-manager");
        Link(profile + "-1-link", System("hm1", "k", "i", "m"));
        Link(profile, "home-manager-1-link");
        var roots = new ProfileRoots(_dir.File("none"), _dir.File("none"), _dir.File("none"), _dir.File("pu"), home);
        var spec = new SubscriptionSpec("hm", "alice", SeedType.HomeManager, [new Rule("username", "eq", "alice")], null, null, Policy.Default);
        var report = ProfileScanner.Scan([new SyncedSubscription("sub_a", spec)], roots, "garden-user");
        var p = Assert.Single((JsonArray)report["profiles"]!)!;
        Assert.Equal("alice", (string?)p["tags"]!["user"]);
        Assert.True((bool)p["generations"]![0]!["is_current"]!);
    }
}
