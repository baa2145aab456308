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

    /// <summary>
    /// A stand-in <c>systemd-run</c> first on PATH that records its arguments (and exits with <paramref name="exit"/>),
    /// so <c>--yes</c> can be exercised without ever scheduling a real reboot of this machine.
    /// </summary>
    private (Dictionary<string, string?> Env, string Record) RecordingSystemdRun(int exit = 0)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        var record = Path.Combine(_root, "systemd-run.args");
        var script = Path.Combine(bin, "systemd-run");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$*\" >> {record}\n{(exit == 0 ? "" : "echo 'Failed to connect to bus' >&2\n")}exit {exit}\n");
        using (var chmod = global::System.Diagnostics.Process.Start("/bin/chmod", ["755", script])) chmod.WaitForExit();
        return (new Dictionary<string, string?> { ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}" }, record);
    }

    [Fact]
    public void Yes_schedules_the_reboot_as_a_transient_unit_only_when_one_is_required()
    {
        var (env, record) = RecordingSystemdRun();
        var booted = System("booted", "kernel-1");
        var same = SowerProcess.Run(env, null, ["seed", "reboot", "--yes", "--system-profile", System("same", "kernel-1"), "--booted-system", booted, "--current-system", booted]);
        Assert.Equal(0, same.ExitCode);
        Assert.Equal("no reboot required; switching live\n", same.Stdout);
        Assert.False(File.Exists(record));

        var next = System("next", "kernel-2");
        var result = SowerProcess.Run(env, null, ["seed", "reboot", "--yes", "--system-profile", next, "--booted-system", booted, "--current-system", booted]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("reboot required: kernel_changed\nreboot scheduled in 5 s (unit sower-client-reboot)\n", result.Stdout);
        Assert.Equal("--unit sower-client-reboot --on-active=5 systemctl reboot\n", File.ReadAllText(record));
    }

    [Fact]
    public void A_failure_to_schedule_the_reboot_is_one_error_line()
    {
        var (env, _) = RecordingSystemdRun(exit: 1);
        var booted = System("booted", "kernel-1");
        var result = SowerProcess.Run(env, null, ["seed", "reboot", "--yes", "--system-profile", System("next", "kernel-2"), "--booted-system", booted, "--current-system", booted]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: scheduling the reboot failed: Failed to connect to bus", Sow.SingleError(result));
    }
}
