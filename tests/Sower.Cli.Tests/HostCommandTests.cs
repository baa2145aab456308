using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>`sower seed reboot`: the REFERENCE §5.12 check over real symlink trees (profile, booted and current system).</summary>
public sealed class HostCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sower-reboot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string System(string name, string kernel, string initrd = "initrd-1", string modules = "modules-1")
    {
        var dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        foreach (var (link, target) in new[] { ("kernel", kernel), ("initrd", initrd), ("kernel-modules", modules) })
        {
            var targetPath = Path.Combine(_root, "store", target);
            Directory.CreateDirectory(Path.GetDirectoryName(targetPath)!);
            if (!File.Exists(targetPath)) File.WriteAllText(targetPath, target);
            File.CreateSymbolicLink(Path.Combine(dir, link), targetPath);
        }
        return dir;
    }

    private string Link(string name, string target)
    {
        var path = Path.Combine(_root, name);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    private CliResult Check(string profile, string booted, string current, params string[] extra) =>
        SowerProcess.Run(null, null, ["seed", "reboot", "--system-profile", profile, "--booted-system", booted, "--current-system", current, .. extra]);

    [Fact]
    public void A_changed_kernel_requires_a_reboot_and_only_reports_without_yes()
    {
        var next = System("next", "kernel-2");
        var booted = System("booted", "kernel-1");
        var profile = Link("profile", Link("profile-2-link", next));
        var result = Check(profile, Link("booted-system", booted), Link("current-system", booted));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("reboot required: kernel_changed\n", result.Stdout);
        var json = SowerProcess.JsonLine(Check(profile, Path.Combine(_root, "booted-system"), Path.Combine(_root, "current-system"), "--json"));
        Assert.True((bool)json["reboot_required"]!);
        Assert.Equal("kernel_changed", (string?)json["reason"]);
    }

    [Theory]
    [InlineData("initrd-2", "modules-1", "reboot required: initrd_changed")]
    [InlineData("initrd-1", "modules-2", "reboot required: modules_changed")]
    public void Initrd_and_modules_are_compared_after_the_kernel(string initrd, string modules, string expected)
    {
        var next = System("next", "kernel-1", initrd, modules);
        var booted = System("booted", "kernel-1");
        Assert.Equal(expected + "\n", Check(next, booted, booted).Stdout);
    }

    [Fact]
    public void Same_boot_components_need_no_reboot_and_a_different_current_system_switches_live()
    {
        var next = System("next", "kernel-1");
        var booted = System("booted", "kernel-1");
        Assert.Equal("no reboot required; switching live\n", Check(next, booted, booted).Stdout);
        Assert.Equal("no reboot required\n", Check(next, booted, next).Stdout);
    }

    [Fact]
    public void An_unresolvable_profile_is_a_failed_check_and_never_a_reboot()
    {
        var booted = System("booted", "kernel-1");
        var result = Check(Path.Combine(_root, "missing"), booted, booted, "--yes");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("reboot check failed: cannot resolve", result.Stdout);
    }
}
