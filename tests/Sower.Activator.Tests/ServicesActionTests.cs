using System.Security.Cryptography;
using System.Text;
using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>The unit-bundle switch with real store paths and a stand-in sd-switch that records its arguments.</summary>
public class ServicesActionTests
{
    private readonly NixStore _nix = NixStore.Instance;

    private sealed record Setup(RequestPipeline Pipeline, string State, string SdSwitchLog);

    private Setup Create(string name, int sdSwitchExit = 0, string? sdSwitch = null)
    {
        var dir = TestArea.NewDir(name);
        var log = Path.Combine(dir, "sd-switch.log");
        var fake = Path.Combine(dir, "sd-switch");
        File.WriteAllText(fake, $"#!/bin/sh\necho \"$@\" >> {log}\necho sd-switch-ran\nexit {sdSwitchExit}\n");
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        var state = Path.Combine(dir, "services");
        var config = new ActivatorConfig { ServicesStateDir = state, SdSwitchCommand = sdSwitch ?? fake, ExtraTrustedPublicKeys = [_nix.PublicKey] };
        return new Setup(InProcess.Pipeline(new ProcessCommandRunner(), InProcess.Settings(config)), state, log);
    }

    private string[] Calls(Setup s) => File.Exists(s.SdSwitchLog) ? File.ReadAllLines(s.SdSwitchLog) : [];

    [Fact]
    public void The_bundle_id_is_the_sha256_of_the_sorted_paths_each_followed_by_a_newline()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("/nix/store/a\n/nix/store/b\n")));
        Assert.Equal(expected, ServicesAction.BundleId(["/nix/store/b", "/nix/store/a"]));
        Assert.Equal(expected, ServicesAction.BundleId(["/nix/store/a", "/nix/store/b"]));
    }

    [Fact]
    public async Task A_new_set_is_copied_without_overwriting_switched_with_sd_switch_and_made_current()
    {
        var s = Create("svc-new");
        var a = _nix.StorePathOf("svc-a");
        var b = _nix.StorePathOf("svc-b");
        var id = ServicesAction.BundleId([a, b]);

        var (code, frames) = await InProcess.Send(s.Pipeline, ActivatorRequest.Services("v1", [new ServiceSeed("svc-a", a), new ServiceSeed("svc-b", b)]));

        Assert.True(code == 0, FrameAssert.Text(frames));
        var units = Path.Combine(s.State, id, "systemd", "system");
        Assert.Equal(["a.service", "b.service", "shared.service"], Directory.GetFiles(units).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("Description=svc-a", File.ReadAllText(Path.Combine(units, "shared.service")).Trim()); // first seed wins
        Assert.Contains(frames, f => f.Data!.EndsWith("[activator] WARN unit collision: seed=svc-b file=system/shared.service", StringComparison.Ordinal));
        Assert.Equal([$"--system --new-units {units}"], Calls(s));
        Assert.Equal(id, new FileInfo(Path.Combine(s.State, "current")).LinkTarget);
        Assert.Contains(frames, f => f.Data!.Contains($"services activated (hash={id})", StringComparison.Ordinal));

        // The same set again: nothing to do.
        (code, frames) = await InProcess.Send(s.Pipeline, ActivatorRequest.Services("v2", [new ServiceSeed("svc-b", b), new ServiceSeed("svc-a", a)]));
        Assert.Equal(0, code);
        Assert.Contains(frames, f => f.Data!.EndsWith($"[activator] services already activated (hash={id})", StringComparison.Ordinal));
        Assert.Single(Calls(s));

        // A different set: sd-switch sees the old and the new unit directories.
        var c = _nix.StorePathOf("svc-c");
        var next = ServicesAction.BundleId([c]);
        (code, _) = await InProcess.Send(s.Pipeline, ActivatorRequest.Services("v3", [new ServiceSeed("svc-c", c)]));
        Assert.Equal(0, code);
        Assert.Equal($"--system --new-units {Path.Combine(s.State, next, "systemd", "system")} --old-units {units}", Calls(s)[^1]);
        Assert.Equal(next, new FileInfo(Path.Combine(s.State, "current")).LinkTarget);
    }

    [Fact]
    public async Task A_failing_sd_switch_leaves_current_unchanged()
    {
        var s = Create("svc-fail", sdSwitchExit: 5);
        var (code, frames) = await InProcess.Send(s.Pipeline, ActivatorRequest.Services("f", [new ServiceSeed("svc-c", _nix.StorePathOf("svc-c"))]));
        Assert.Equal(5, code);
        Assert.Equal(5, FrameAssert.SingleComplete(frames));
        Assert.False(Path.Exists(Path.Combine(s.State, "current")));
    }

    [Fact]
    public async Task Without_sd_switch_the_request_fails_cleanly_with_a_clear_message()
    {
        var s = Create("svc-missing", sdSwitch: "sd-switch-not-installed-anywhere");
        var (code, frames) = await InProcess.Send(s.Pipeline, ActivatorRequest.Services("m", [new ServiceSeed("svc-c", _nix.StorePathOf("svc-c"))]));
        Assert.Equal(1, code);
        Assert.Equal(1, FrameAssert.SingleComplete(frames));
        Assert.Contains(frames, f => f.Type == "error" && f.Data!.EndsWith(ServicesAction.SdSwitchMissing("sd-switch-not-installed-anywhere"), StringComparison.Ordinal));
        Assert.False(Path.Exists(s.State));
    }
}
