using Sower.Activator.Tests.Support;

namespace Sower.Activator.Tests;

/// <summary>Flags and the config file: clear messages for every mistake, the operator's values used as given.</summary>
public class ConfigurationTests
{
    [Fact]
    public void Allowed_gids_tolerate_whitespace_and_merge_across_flags()
    {
        var cl = CommandLine.Parse(["--allowed-gids", " 100 ,200,, 300 ", "--allowed-gids=400", "--timeout", "90", "--socket", "/run/x.sock", "--config=/etc/a.json"]);
        Assert.Equal(new HashSet<uint> { 100, 200, 300, 400 }, cl.AllowedGids);
        Assert.Equal(90, cl.TimeoutSeconds);
        Assert.Equal("/run/x.sock", cl.SocketPath);
        Assert.Equal("/etc/a.json", cl.ConfigFile);
    }

    [Theory]
    [InlineData("--allowed-gids", "100,abc", "invalid GID: abc")]
    [InlineData("--allowed-gids", "-1", "invalid GID: -1")]
    [InlineData("--allowed-gids", "1 2", "invalid GID: 1 2")]
    [InlineData("--allowed-gids", "99999999999", "invalid GID: 99999999999")]
    [InlineData("--timeout", "0", "invalid timeout: 0 (a whole number of seconds > 0)")]
    [InlineData("--timeout", "soon", "invalid timeout: soon (a whole number of seconds > 0)")]
    [InlineData("--frobnicate", "x", "unknown argument: --frobnicate")]
    public void Bad_flags_fail_with_a_clear_message(string flag, string value, string message) =>
        Assert.Equal(message, Assert.Throws<ActivatorSetupException>(() => CommandLine.Parse([flag, value])).Message);

    [Fact]
    public void A_flag_without_its_value_is_an_error() =>
        Assert.Equal("missing value for --socket", Assert.Throws<ActivatorSetupException>(() => CommandLine.Parse(["--socket"])).Message);

    [Fact]
    public void Every_config_key_is_read()
    {
        var c = ActivatorConfig.Parse("""
            {
              // comments are allowed in the operator's file
              "allowed_groups": ["wheel"], "socket_group": "sower-activator",
              "extra_substituters": ["https://cache.example.org"], "extra_trusted_public_keys": ["cache.example.org-1:AAAA"],
              "gcroots_dir": "/var/g/", "user_gcroots_dir": "/var/u", "system_profile": "/var/p/system", "profiles_dir": "/var/p/sower",
              "services_state_dir": "/var/s", "sd_switch_command": "/bin/sd-switch", "reboot_command": ["/bin/true", "x"],
              "reboot_delay_seconds": 1.5, "timeout_seconds": 60, "idle_exit_seconds": 0, "request_read_timeout_seconds": 2,
              "allowed_home_manager_users": ["alice", "root"], "require_signatures": {"profile": false, "home-manager": true},
            }
            """);
        Assert.Equal(["wheel"], c.AllowedGroups);
        Assert.Equal("sower-activator", c.SocketGroup);
        Assert.Equal(["https://cache.example.org"], c.ExtraSubstituters);
        Assert.Equal(["cache.example.org-1:AAAA"], c.ExtraTrustedPublicKeys);
        Assert.Equal("/var/g", c.GcrootsDir);
        Assert.Equal("/var/u", c.UserGcrootsDir);
        Assert.Equal("/var/p/system", c.SystemProfile);
        Assert.Equal("/var/p/sower", c.ProfilesDir);
        Assert.Equal("/var/s", c.ServicesStateDir);
        Assert.Equal("/bin/sd-switch", c.SdSwitchCommand);
        Assert.Equal(["/bin/true", "x"], c.RebootCommand);
        Assert.Equal(1.5, c.RebootDelaySeconds);
        Assert.Equal(60, c.TimeoutSeconds);
        Assert.Equal(0, c.IdleExitSeconds);
        Assert.Equal(2, c.RequestReadTimeoutSeconds);
        Assert.Equal(["alice", "root"], c.AllowedHomeManagerUsers);
        Assert.Equal(new SignatureRequirements(NixOS: true, Profile: false, Services: true, HomeManager: true), c.RequireSignatures);
    }

    [Fact]
    public void By_default_signatures_are_required_for_what_runs_as_root_and_no_home_manager_user_list_is_set()
    {
        var c = ActivatorConfig.Parse("{}");
        Assert.Null(c.AllowedHomeManagerUsers);
        Assert.True(c.RequireSignatures.IsRequiredFor("nixos") && c.RequireSignatures.IsRequiredFor("profile") && c.RequireSignatures.IsRequiredFor("services"));
        Assert.False(c.RequireSignatures.IsRequiredFor("home-manager") || c.RequireSignatures.IsRequiredFor("stage") || c.RequireSignatures.IsRequiredFor("reboot"));
        Assert.Equal(new SignatureRequirements(false, false, false, false), ActivatorConfig.Parse("""{"require_signatures": false}""").RequireSignatures);
        Assert.Equal(new SignatureRequirements(true, true, true, true), ActivatorConfig.Parse("""{"require_signatures": true}""").RequireSignatures);
    }

    [Theory]
    [InlineData("""{"substituters": ["x"]}""", "unknown key: substituters")]
    [InlineData("""{"allowed_groups": "wheel"}""", "allowed_groups must be a list of strings")]
    [InlineData("""{"allowed_groups": ["wh eel"]}""", "allowed_groups: invalid group name: wh eel")]
    [InlineData("""{"extra_substituters": ["a b"]}""", "extra_substituters: invalid entry: \"a b\"")]
    [InlineData("""{"gcroots_dir": "relative/dir"}""", "gcroots_dir must be an absolute path without . or .. segments: relative/dir")]
    [InlineData("""{"system_profile": "/nix/../etc/x"}""", "system_profile must be an absolute path without . or .. segments: /nix/../etc/x")]
    [InlineData("""{"reboot_command": []}""", "reboot_command must be a non-empty list: program and arguments")]
    [InlineData("""{"timeout_seconds": 0}""", "timeout_seconds must be a whole number from 1 to 604800")]
    [InlineData("""{"timeout_seconds": 1.5}""", "timeout_seconds must be a whole number from 1 to 604800")]
    [InlineData("""{"reboot_delay_seconds": "5"}""", "reboot_delay_seconds must be a number from 0 to 3600")]
    [InlineData("""{"gcroots_dir": "/a", "gcroots_dir": "/b"}""", "duplicate key: gcroots_dir")]
    [InlineData("""[]""", "the top level must be a JSON object")]
    [InlineData("""{"allowed_home_manager_users": "alice"}""", "allowed_home_manager_users must be a list of strings")]
    [InlineData("""{"allowed_home_manager_users": ["al ice"]}""", "allowed_home_manager_users: invalid user name: al ice")]
    [InlineData("""{"allowed_home_manager_users": [""]}""", "allowed_home_manager_users: invalid user name: ")]
    [InlineData("""{"require_signatures": "yes"}""", "require_signatures must be true, false or an object of nixos, profile, services, home-manager → true/false")]
    [InlineData("""{"require_signatures": {"nixos": "off"}}""", "require_signatures.nixos must be true or false")]
    [InlineData("""{"require_signatures": {"stage": false}}""", "require_signatures: unknown request type: stage (allowed: nixos, profile, services, home-manager)")]
    [InlineData("""{"require_signatures": {"nixos": false, "nixos": true}}""", "require_signatures: duplicate key: nixos")]
    public void Config_mistakes_are_reported_clearly(string json, string message) =>
        Assert.Equal(message, Assert.Throws<ActivatorSetupException>(() => ActivatorConfig.Parse(json)).Message);

    [Fact]
    public void Every_mistake_in_the_file_is_reported_at_once()
    {
        var error = Assert.Throws<ActivatorSetupException>(() => ActivatorConfig.Parse("""
            {"alowed_groups": ["wheel"], "timeout_seconds": 0, "gcroots_dir": "relative", "gcroots_dir": "/again"}
            """));
        Assert.Equal(
            ["unknown key: alowed_groups", "timeout_seconds must be a whole number from 1 to 604800",
             "gcroots_dir must be an absolute path without . or .. segments: relative", "duplicate key: gcroots_dir"],
            error.Problems);
        Assert.Equal(string.Join("; ", error.Problems), error.Message);
    }

    [Fact]
    public void An_allowed_group_that_does_not_exist_is_an_error_and_existing_ones_resolve()
    {
        var error = Assert.Throws<ActivatorSetupException>(() =>
            ActivatorSettings.Create(CommandLine.Parse([]), new ActivatorConfig { AllowedGroups = ["no-such-group-sower"] }, SystemAccounts.Instance));
        Assert.Equal("allowed_groups: unknown group: no-such-group-sower", error.Message);
        var settings = ActivatorSettings.Create(CommandLine.Parse(["--allowed-gids", "77", "--timeout", "5"]), new ActivatorConfig { AllowedGroups = ["root"], TimeoutSeconds = 99 }, SystemAccounts.Instance);
        Assert.Equal(new HashSet<uint> { 0, 77 }, settings.AllowedGids);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.Timeout);
    }

    [Fact]
    public void A_config_file_writable_by_others_is_refused()
    {
        var dir = TestArea.NewDir("cfg-mode");
        var path = TestArea.WriteConfig(dir, new Dictionary<string, object>());
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        Assert.Equal($"config file {path} must not be writable by group or others", Assert.Throws<ActivatorSetupException>(() => ActivatorConfig.Load(path)).Message);
    }

    [Fact]
    public void Setup_errors_reach_a_pipe_client_as_error_and_complete_frames()
    {
        var result = ActivatorProcess.RunPipe("""{"id":"x","type":"reboot"}""", "--allowed-gids", "12,x");
        Assert.Equal(1, result.ExitCode);
        FrameAssert.Refused(FrameAssert.Parse(result.Stdout), "activator configuration error: invalid GID: x", "");
    }

    [Fact]
    public void The_stage_root_is_per_subscription_as_root_and_per_user_otherwise()
    {
        var config = new ActivatorConfig { GcrootsDir = "/g", UserGcrootsDir = "/u" };
        ActionContext Context(ActivatorProcessIdentity self) => new()
        {
            Request = Sower.Messages.Activator.ActivatorRequest.Stage("s", "/nix/store/x", "web"),
            Settings = InProcess.Settings(config),
            Runner = new ForbiddingRunner(),
            Log = new ActivatorLog(TextWriter.Null, TimeProvider.System),
            Frames = new FrameWriter(Stream.Null),
            Accounts = SystemAccounts.Instance,
            Self = self,
            PipeMode = true,
            Deadline = CancellationToken.None,
        };
        Assert.Equal("/g/web", StageAction.RootFor(Context(InProcess.Root)));
        Assert.Equal("/u/alice/sower-web", StageAction.RootFor(Context(new ActivatorProcessIdentity(1000, "alice"))));
    }
}
