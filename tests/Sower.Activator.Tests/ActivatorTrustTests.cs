using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>
/// What a member of the activator's group can no longer do (issue 12, finding 9), against the real binary as root and
/// the real Nix store: activate a locally built (unsigned), wrongly signed or content-addressed path as root, or have a
/// Home-Manager generation run as root or as a user the operator did not allow.
/// </summary>
public class ActivatorTrustTests
{
    private readonly NixStore _nix = NixStore.Instance;

    private sealed record Area(string Root, string Config, string SystemProfile, string ProfilesDir, string ServicesState, string SdSwitchLog);

    private Area Setup(string name, Dictionary<string, object>? extra = null)
    {
        var root = TestArea.NewDir(name);
        var sdSwitchLog = Path.Combine(root, "sd-switch.log");
        var sdSwitch = Path.Combine(root, "sd-switch");
        File.WriteAllText(sdSwitch, $"#!/bin/sh\necho \"$@\" >> {sdSwitchLog}\n");
        File.SetUnixFileMode(sdSwitch, (UnixFileMode)0b111_101_101);
        var area = new Area(root, "", Path.Combine(root, "profiles", "system"), Path.Combine(root, "profiles", "sower"), Path.Combine(root, "services"), sdSwitchLog);
        var entries = new Dictionary<string, object>
        {
            ["extra_trusted_public_keys"] = new[] { _nix.PublicKey },
            ["gcroots_dir"] = Path.Combine(root, "gcroots"),
            ["system_profile"] = area.SystemProfile,
            ["profiles_dir"] = area.ProfilesDir,
            ["services_state_dir"] = area.ServicesState,
            ["sd_switch_command"] = sdSwitch,
        };
        foreach (var (k, v) in extra ?? []) entries[k] = v;
        return area with { Config = TestArea.WriteConfig(root, entries) };
    }

    private static (int Code, List<ActivatorFrame> Frames) Run(Area area, ActivatorRequest request)
    {
        var result = ActivatorProcess.RunPipe(ActivatorProtocol.SerializeRequestLine(request), ["--config", area.Config]);
        var frames = FrameAssert.Parse(result.Stdout);
        var code = FrameAssert.SingleComplete(frames);
        Assert.Equal(code, result.ExitCode);
        return (code, frames);
    }

    private static ActivatorRequest RequestFor(string type, string path) => type switch
    {
        ActivatorRequestTypes.NixOS => ActivatorRequest.NixOS("t-" + type, path, "switch"),
        ActivatorRequestTypes.Profile => ActivatorRequest.SetProfile("t-" + type, path, "pins"),
        _ => ActivatorRequest.Services("t-" + type, [new ServiceSeed("svc-unsigned", path)]),
    };

    /// <summary>Whether the request changed anything: the system profile, the named profile, the services bundle.</summary>
    private static bool Activated(Area area, string type) => type switch
    {
        ActivatorRequestTypes.NixOS => Path.Exists(area.SystemProfile),
        ActivatorRequestTypes.Profile => Path.Exists(Path.Combine(area.ProfilesDir, "pins")),
        _ => Path.Exists(Path.Combine(area.ServicesState, "current")),
    };

    private static string LastError(List<ActivatorFrame> frames) => frames.Last(f => f.Type == ActivatorFrameTypes.Error).Data!;

    [Theory]
    [InlineData(ActivatorRequestTypes.NixOS, "sys-unsigned-nixos")]
    [InlineData(ActivatorRequestTypes.Profile, "sys-unsigned-profile")]
    [InlineData(ActivatorRequestTypes.Services, "svc-unsigned")]
    public void A_locally_built_unsigned_path_is_refused_and_the_same_path_signed_with_a_trusted_key_is_activated(string type, string fixture)
    {
        var area = Setup("unsigned-" + type);
        var path = _nix.StorePathOf(fixture);
        Assert.Empty(NixStore.Signers(path));

        var (code, frames) = Run(area, RequestFor(type, path));

        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.NotSigned(type, path, []), LastError(frames));
        Assert.Contains("it has no signature at all, as a locally built path has none", LastError(frames), StringComparison.Ordinal);
        Assert.Contains($"\"require_signatures\": {{\"{type}\": false}}", LastError(frames), StringComparison.Ordinal);
        Assert.False(Activated(area, type));
        Assert.Empty(_nix.SwitchRecords(fixture));
        Assert.False(File.Exists(area.SdSwitchLog));

        NixStore.Sign(_nix.SecretKeyFile, path);
        (code, frames) = Run(area, RequestFor(type, path) with { Id = "signed" });

        Assert.True(code == 0, FrameAssert.Text(frames));
        Assert.True(Activated(area, type));
        Assert.Contains(frames, f => f.Data?.Contains("Path carries a trusted signature", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void A_path_signed_only_by_an_untrusted_key_is_refused_and_the_refusal_names_the_signer()
    {
        var area = Setup("wrong-key");
        var path = _nix.StorePathOf("sys-wrongkey");
        var signer = NixStore.Signers(path).Single();

        var (code, frames) = Run(area, ActivatorRequest.NixOS("w", path, "switch"));

        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.NotSigned(ActivatorRequestTypes.NixOS, path, [signer]), LastError(frames));
        Assert.Contains("signed only by sower-wrong-", LastError(frames), StringComparison.Ordinal);
        Assert.Empty(_nix.SwitchRecords("sys-wrongkey"));
        Assert.False(Path.Exists(area.SystemProfile));
    }

    [Fact]
    public void Turning_the_check_off_for_one_type_lets_an_unsigned_path_through_for_that_type_only()
    {
        var area = Setup("opt-out", new() { ["require_signatures"] = new Dictionary<string, bool> { ["nixos"] = false } });
        var path = _nix.StorePathOf("sys-optout");

        var (code, frames) = Run(area, ActivatorRequest.NixOS("o", path, "switch"));
        Assert.True(code == 0, FrameAssert.Text(frames));
        Assert.Equal(["switch uid=0"], _nix.SwitchRecords("sys-optout"));

        (code, frames) = Run(area, ActivatorRequest.SetProfile("o2", path, "pins"));
        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.NotSigned(ActivatorRequestTypes.Profile, path, []), LastError(frames));
    }

    [Fact]
    public void A_content_addressed_path_added_with_nix_store_add_is_refused_and_never_executed()
    {
        // nix store verify counts a content-addressed path as trusted without any signature: the activator must not.
        var area = Setup("ca");
        var source = Path.Combine(area.Root, "fake-system");
        var marker = Path.Combine(area.Root, "CA-EXECUTED");
        Directory.CreateDirectory(Path.Combine(source, "bin"));
        var script = Path.Combine(source, "bin", "switch-to-configuration");
        File.WriteAllText(script, $"#!/bin/sh\necho executed > {marker}\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        var path = Shell.Run("nix-store", "--add", source).EnsureSuccess("nix-store --add").Stdout.Trim();

        var (code, frames) = Run(area, ActivatorRequest.NixOS("ca", path, "switch"));

        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.ContentAddressed(ActivatorRequestTypes.NixOS, path), LastError(frames));
        Assert.False(File.Exists(marker));
        Assert.False(Path.Exists(area.SystemProfile));
    }

    [Fact]
    public void A_path_that_is_not_in_the_store_is_refused_without_fetching_it()
    {
        var area = Setup("absent");
        var path = "/nix/store/" + new string('a', 32) + "-sower-t-" + TestArea.Nonce + "-absent";

        var (code, frames) = Run(area, ActivatorRequest.SetProfile("a", path, "pins"));

        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.NotInStore(path), LastError(frames));
        Assert.False(Path.Exists(Path.Combine(area.ProfilesDir, "pins")));
    }

    [Fact]
    public void Home_manager_as_root_is_refused_by_default()
    {
        var area = Setup("hm-root-denied");

        var (code, frames) = Run(area, ActivatorRequest.HomeManager("r", _nix.StorePathOf("hm-denied"), "root"));

        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.HomeManagerRootRefused("root"), LastError(frames));
        Assert.Null(_nix.HomeRecord("hm-denied"));
    }

    [Fact]
    public void Home_manager_for_a_user_missing_from_allowed_home_manager_users_is_refused_and_a_listed_one_runs()
    {
        var users = TestUsers.Instance;
        var area = Setup("hm-list", new() { ["allowed_home_manager_users"] = new[] { users.Outsider } });

        var (code, frames) = Run(area, ActivatorRequest.HomeManager("u", _nix.StorePathOf("hm-denied"), users.Supplementary));
        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.HomeManagerUserNotAllowed(users.Supplementary), LastError(frames));
        (code, frames) = Run(area, ActivatorRequest.HomeManager("r", _nix.StorePathOf("hm-denied"), "root"));
        Assert.Equal(ActivatorMessages.HomeManagerRootRefused("root"), LastError(frames));
        Assert.Null(_nix.HomeRecord("hm-denied"));

        (code, frames) = Run(area, ActivatorRequest.HomeManager("ok", _nix.StorePathOf("hm-denied"), users.Outsider));
        Assert.True(code == 0, FrameAssert.Text(frames));
        Assert.Equal(users.Account(users.Outsider).Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), _nix.HomeRecord("hm-denied")!["uid"]);
    }

    [Fact]
    public void Home_manager_can_be_made_to_require_signatures_too()
    {
        var users = TestUsers.Instance;
        var area = Setup("hm-sigs", new() { ["require_signatures"] = new Dictionary<string, bool> { ["home-manager"] = true } });
        var path = _nix.StorePathOf("hm-unsigned");

        var (code, frames) = Run(area, ActivatorRequest.HomeManager("h", path, users.Outsider));

        Assert.Equal(1, code);
        Assert.Equal(ActivatorMessages.NotSigned(ActivatorRequestTypes.HomeManager, path, []), LastError(frames));
        Assert.Null(_nix.HomeRecord("hm-unsigned"));
    }
}
