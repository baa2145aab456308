using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>
/// The real binary in pipe mode as root against the real Nix store: staging from a signed file:// cache, NixOS
/// modes and rollback with fake systems, Home-Manager as the target user, profiles. Each test isolates its GC roots
/// and profiles through the activator config.
/// </summary>
public class NixActivationTests
{
    private readonly NixStore _nix = NixStore.Instance;

    private sealed record Dirs(string Root, string Config, string GcRoots, string SystemProfile, string ProfilesDir);

    private Dirs Setup(string name, string? trustedKey = null, int timeout = 60, Dictionary<string, object>? extra = null)
    {
        var root = TestArea.NewDir(name);
        var dirs = new Dirs(root, "", Path.Combine(root, "gcroots"), Path.Combine(root, "profiles", "system"), Path.Combine(root, "profiles", "sower"));
        var entries = new Dictionary<string, object>
        {
            ["extra_substituters"] = new[] { _nix.CacheUrl },
            ["extra_trusted_public_keys"] = new[] { trustedKey ?? _nix.PublicKey },
            ["gcroots_dir"] = dirs.GcRoots,
            ["system_profile"] = dirs.SystemProfile,
            ["profiles_dir"] = dirs.ProfilesDir,
            ["timeout_seconds"] = timeout,
        };
        foreach (var (k, v) in extra ?? []) entries[k] = v;
        var config = TestArea.WriteConfig(root, entries);
        return dirs with { Config = config };
    }

    private static (int Code, List<ActivatorFrame> Frames, string Stderr) Run(Dirs dirs, ActivatorRequest request, params string[] extraArgs)
    {
        var result = ActivatorProcess.RunPipe(ActivatorProtocol.SerializeRequestLine(request), ["--config", dirs.Config, .. extraArgs]);
        var frames = FrameAssert.Parse(result.Stdout);
        var code = FrameAssert.SingleComplete(frames);
        Assert.Equal(code, result.ExitCode);
        return (code, frames, result.Stderr);
    }

    private static string Target(string link) => Native.RealPath(link) ?? "(missing)";

    [Fact]
    public void Staging_with_the_operators_trusted_key_fetches_the_closure_and_pins_a_gc_root()
    {
        var dirs = Setup("stage-ok");
        var path = _nix.StorePathOf("stage-ok");
        Assert.False(NixStore.IsValid(path), "the fixture must start without the closure in the store");

        var (code, frames, stderr) = Run(dirs, ActivatorRequest.Stage("s1", path, "web"));

        Assert.True(code == 0, FrameAssert.Text(frames) + stderr);
        Assert.True(NixStore.IsValid(path));
        Assert.Equal(path, new FileInfo(Path.Combine(dirs.GcRoots, "web")).LinkTarget);
        Assert.Contains(frames, f => f.Data?.Contains("Received request id=s1 type=stage path=" + path, StringComparison.Ordinal) == true);
        Assert.Contains(frames, f => f.Data?.Contains("[activator] Staged", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Staging_with_a_wrong_key_fails_and_nothing_is_pinned_or_activated()
    {
        var dirs = Setup("stage-wrong", trustedKey: _nix.WrongPublicKey);
        var path = _nix.StorePathOf("stage-wrong");

        var (code, frames, _) = Run(dirs, ActivatorRequest.Stage("s2", path, "web"));

        Assert.NotEqual(0, code);
        Assert.Contains(frames, f => f.Type == "error" && f.Data!.Contains("is not signed by any of the keys", StringComparison.Ordinal));
        Assert.False(NixStore.IsValid(path));
        Assert.False(Path.Exists(Path.Combine(dirs.GcRoots, "web")));
        Assert.False(Path.Exists(dirs.SystemProfile));
    }

    [Fact]
    public void Staging_again_under_the_same_name_replaces_the_root()
    {
        var dirs = Setup("stage-replace");
        var a = _nix.StorePathOf("stage-replace-a");
        var b = _nix.StorePathOf("stage-replace-b");
        Assert.Equal(0, Run(dirs, ActivatorRequest.Stage("r1", a, "sub")).Code);
        Assert.Equal(a, new FileInfo(Path.Combine(dirs.GcRoots, "sub")).LinkTarget);
        Assert.Equal(0, Run(dirs, ActivatorRequest.Stage("r2", b, "sub")).Code);
        Assert.Equal(b, new FileInfo(Path.Combine(dirs.GcRoots, "sub")).LinkTarget);
    }

    [Theory]
    [InlineData("switch", "sys-switch", true)]
    [InlineData("boot", "sys-boot", true)]
    [InlineData("test", "sys-test", false)]
    [InlineData("dry-activate", "sys-dry", false)]
    public void The_nixos_mode_decides_whether_the_system_profile_moves(string mode, string system, bool movesProfile)
    {
        var dirs = Setup("nixos-" + mode);
        var baseSystem = _nix.StorePathOf("sys-base");
        var path = _nix.StorePathOf(system);
        Assert.Equal(0, Run(dirs, ActivatorRequest.NixOS("base", baseSystem, "switch")).Code);

        var (code, frames, stderr) = Run(dirs, ActivatorRequest.NixOS("n1", path, mode));

        Assert.True(code == 0, FrameAssert.Text(frames) + stderr);
        Assert.Equal([$"{mode} uid=0"], _nix.SwitchRecords(system));
        Assert.Equal(movesProfile ? path : baseSystem, Target(dirs.SystemProfile));
        Assert.Equal(movesProfile ? 2 : 1, ProfileGenerations.Current(dirs.SystemProfile));
        Assert.Contains(frames, f => f.Type == "output" && f.Data!.EndsWith(" switch-to-configuration " + mode, StringComparison.Ordinal));
        Assert.Contains(frames, f => f.Type == "error" && f.Data!.EndsWith(" a line on stderr", StringComparison.Ordinal));
        Assert.Contains("a line on stderr", stderr, StringComparison.Ordinal); // child stderr reaches the journal too
    }

    [Fact]
    public void A_failing_switch_rolls_the_profile_back_to_the_previous_generation_and_says_so()
    {
        var dirs = Setup("nixos-fail");
        var baseSystem = _nix.StorePathOf("sys-base");
        Assert.Equal(0, Run(dirs, ActivatorRequest.NixOS("base", baseSystem, "switch")).Code);

        var (code, frames, _) = Run(dirs, ActivatorRequest.NixOS("f1", _nix.StorePathOf("sys-fail"), "switch"));

        Assert.Equal(3, code);
        Assert.Equal(["switch uid=0"], _nix.SwitchRecords("sys-fail"));
        Assert.Equal(baseSystem, Target(dirs.SystemProfile));
        Assert.Equal(1, ProfileGenerations.Current(dirs.SystemProfile));
        Assert.Contains(frames, f => f.Type == "error" && f.Data!.Contains("Rolled back the system profile to the previous generation", StringComparison.Ordinal)
            && f.Data.Contains("generation=1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failing_first_switch_leaves_no_profile_pointing_at_the_broken_system()
    {
        var dirs = Setup("nixos-firstfail");
        var (code, frames, _) = Run(dirs, ActivatorRequest.NixOS("f2", _nix.StorePathOf("sys-firstfail"), "boot"));
        Assert.Equal(4, code);
        Assert.False(Path.Exists(dirs.SystemProfile));
        Assert.Contains(frames, f => f.Type == "error" && f.Data!.Contains("no previous generation", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failing_switch_puts_back_a_hand_made_profile_link_exactly()
    {
        var dirs = Setup("nixos-handmade");
        var baseSystem = _nix.StorePathOf("sys-base");
        Directory.CreateDirectory(Path.GetDirectoryName(dirs.SystemProfile)!);
        File.CreateSymbolicLink(dirs.SystemProfile, baseSystem);

        var (code, frames, _) = Run(dirs, ActivatorRequest.NixOS("hand", _nix.StorePathOf("sys-fail"), "boot"));

        Assert.Equal(3, code);
        Assert.Equal(baseSystem, new FileInfo(dirs.SystemProfile).LinkTarget);
        Assert.Contains(frames, f => f.Type == "error" && f.Data!.Contains("Rolled back the system profile to its previous link", StringComparison.Ordinal));
    }

    [Fact]
    public void A_timed_out_switch_kills_the_process_group_rolls_back_and_reports_124()
    {
        // The config's short timeout is the one under test; the base switch only prepares the profile and gets a generous
        // one (a loaded machine can take seconds for it).
        var dirs = Setup("nixos-slow", timeout: 2);
        var baseSystem = _nix.StorePathOf("sys-base");
        Assert.Equal(0, Run(dirs, ActivatorRequest.NixOS("base", baseSystem, "switch"), "--timeout", "120").Code);

        var (code, frames, _) = Run(dirs, ActivatorRequest.NixOS("slow", _nix.StorePathOf("sys-slow"), "switch"));

        Assert.Equal(124, code);
        Assert.Equal("timed out after 2s", frames[^2].Data);
        Assert.Equal(baseSystem, Target(dirs.SystemProfile));
        var background = int.Parse(File.ReadAllText(Path.Combine(_nix.RecordsDir, "sys-slow.bgpid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ProcessGone(background), "the script's background child must have been killed with its group");
    }

    /// <summary>Gone or a zombie (killed, waiting for PID 1 to reap it), within a few seconds.</summary>
    private static bool ProcessGone(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return true;
            }
            Thread.Sleep(100);
        }
        return false;
    }

    [Fact]
    public void The_timeout_flag_overrides_the_config()
    {
        var dirs = Setup("nixos-flag", timeout: 3600);
        var (code, frames, _) = Run(dirs, ActivatorRequest.NixOS("slow2", _nix.StorePathOf("sys-slow"), "test"), "--timeout", "1");
        Assert.Equal(124, code);
        Assert.Equal("timed out after 1s", frames[^2].Data);
    }

    [Fact]
    public void Home_manager_runs_as_the_target_user_with_its_groups_home_and_a_clean_environment()
    {
        var users = TestUsers.Instance;
        var dirs = Setup("hm-user");
        var account = users.Account(users.Supplementary);

        var (code, frames, stderr) = Run(dirs, ActivatorRequest.HomeManager("h1", _nix.StorePathOf("hm-user"), users.Supplementary));

        Assert.True(code == 0, FrameAssert.Text(frames) + stderr);
        var record = _nix.HomeRecord("hm-user")!;
        Assert.Equal(account.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), record["uid"]);
        Assert.Equal(account.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), record["gid"]);
        var groups = record["groups"].Split(' ').Select(uint.Parse).ToHashSet();
        Assert.Contains(users.AllowedGid, groups);
        Assert.Contains(users.SocketGid, groups);
        Assert.DoesNotContain(0u, groups);
        Assert.Equal(account.Home, record["home"]);
        Assert.Equal(account.Home, record["pwd"]);
        Assert.Equal(users.Supplementary, record["user"]);
        Assert.Equal(users.Supplementary, record["logname"]);
        Assert.Equal($"/run/user/{account.Uid}", record["xdg"]);
        Assert.StartsWith("/run/wrappers/bin:", record["path"], StringComparison.Ordinal);
        // Exactly the variables the activator sets, plus what the shell itself adds (PWD, SHLVL, _, OLDPWD).
        var names = record["envnames"].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.Subset(new HashSet<string> { "HOME", "LOGNAME", "PATH", "PWD", "SHLVL", "USER", "XDG_RUNTIME_DIR", "_", "OLDPWD" }, names);
        Assert.Superset(new HashSet<string> { "HOME", "LOGNAME", "PATH", "USER", "XDG_RUNTIME_DIR" }, names);
        Assert.Contains(frames, f => f.Type == "output" && f.Data!.EndsWith("activating as " + users.Supplementary, StringComparison.Ordinal));
    }

    [Fact]
    public void Home_manager_for_root_runs_as_root_when_the_operator_allows_it()
    {
        var dirs = Setup("hm-root", extra: new() { ["allowed_home_manager_users"] = new[] { "root" } });
        Assert.Equal(0, Run(dirs, ActivatorRequest.HomeManager("h2", _nix.StorePathOf("hm-root"), "root")).Code);
        Assert.Equal("0", _nix.HomeRecord("hm-root")!["uid"]);
    }

    [Fact]
    public void A_non_root_caller_in_pipe_mode_can_activate_its_own_home_manager_generation_only()
    {
        var users = TestUsers.Instance;
        var request = ActivatorRequest.HomeManager("h3", _nix.StorePathOf("hm-self"), users.Outsider);
        var mine = ActivatorProcess.RunPipeAs(users.Outsider, ActivatorProtocol.SerializeRequest(request), "--config", "/nonexistent-is-fine-for-default");
        // An explicit config path that does not exist is an error: prove it, then use the defaults.
        FrameAssert.Refused(FrameAssert.Parse(mine.Stdout), "activator configuration error: config file not found: /nonexistent-is-fine-for-default", "");

        mine = ActivatorProcess.RunPipeAs(users.Outsider, ActivatorProtocol.SerializeRequest(request));
        Assert.True(FrameAssert.SingleComplete(FrameAssert.Parse(mine.Stdout)) == 0, mine.Stdout + mine.Stderr);
        Assert.Equal(users.Account(users.Outsider).Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), _nix.HomeRecord("hm-self")!["uid"]);

        var other = ActivatorProcess.RunPipeAs(users.Outsider, ActivatorProtocol.SerializeRequest(ActivatorRequest.HomeManager("h4", _nix.StorePathOf("hm-root"), "root")));
        FrameAssert.Refused(FrameAssert.Parse(other.Stdout), "username mismatch", "h4");
        var system = ActivatorProcess.RunPipeAs(users.Outsider, ActivatorProtocol.SerializeRequest(ActivatorRequest.NixOS("h5", _nix.StorePathOf("sys-base"), "test")));
        FrameAssert.Refused(FrameAssert.Parse(system.Stdout), "root required", "h5");
    }

    [Fact]
    public void Profile_sets_a_named_profile_under_the_configured_directory()
    {
        var dirs = Setup("profile");
        var path = _nix.StorePathOf("sys-base");
        Assert.Equal(0, Run(dirs, ActivatorRequest.SetProfile("p1", path, "pins")).Code);
        Assert.Equal(path, Target(Path.Combine(dirs.ProfilesDir, "pins")));
        Assert.Equal(1, ProfileGenerations.Current(Path.Combine(dirs.ProfilesDir, "pins")));
    }

    [Fact]
    public void Store_paths_that_are_symlinks_out_of_the_store_are_never_executed()
    {
        var dirs = Setup("evil");
        var evil = _nix.StorePathOf("evil");
        FrameAssert.Refused(Run(dirs, ActivatorRequest.NixOS("e1", evil, "test")).Frames, "path must be in /nix/store", "e1");
        FrameAssert.Refused(Run(dirs, ActivatorRequest.HomeManager("e2", evil, TestUsers.Instance.Supplementary)).Frames, "path must be in /nix/store", "e2");
        Assert.False(File.Exists(_nix.EvilMarker));
    }
}
