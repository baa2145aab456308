using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>
/// Magic rollback in the activator: the pure rules, the commands it builds, and the real binary in pipe mode as root on the
/// real Nix store, whose detached timer process (this machine has no systemd as PID 1) rolls an unconfirmed switch back.
/// </summary>
public class RollbackTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly NixStore _nix = NixStore.Instance;

    private sealed record Dirs(string Root, string Config, string SystemProfile, string State, string Reboots);

    private static Dirs Setup(string name, int maxConfirm = 3600)
    {
        var root = TestArea.NewDir(name);
        var profile = Path.Combine(root, "profiles", "system");
        var state = Path.Combine(root, "rollback");
        var reboots = Path.Combine(root, "reboots");
        var config = TestArea.WriteConfig(root, new Dictionary<string, object>
        {
            ["system_profile"] = profile,
            ["gcroots_dir"] = Path.Combine(root, "gcroots"),
            ["profiles_dir"] = Path.Combine(root, "profiles", "sower"),
            ["rollback_state_dir"] = state,
            ["max_confirm_timeout_seconds"] = maxConfirm,
            ["rollback_timer"] = "process",
            ["reboot_command"] = new[] { "/bin/sh", "-c", $"echo reboot >> {reboots}" },
            ["extra_trusted_public_keys"] = new[] { NixStore.Instance.PublicKey },
        });
        return new Dirs(root, config, profile, state, reboots);
    }

    private static (int Code, List<ActivatorFrame> Frames, string Stderr) Run(Dirs dirs, ActivatorRequest request, params string[] extraArgs)
    {
        var result = ActivatorProcess.RunPipe(ActivatorProtocol.SerializeRequestLine(request), ["--config", dirs.Config, .. extraArgs]);
        var frames = FrameAssert.Parse(result.Stdout);
        return (FrameAssert.SingleComplete(frames), frames, result.Stderr);
    }

    private static ActivatorRequest Switch(string id, string path, string deployment, int timeout, string mode = "switch") =>
        ActivatorRequest.NixOS(id, path, mode) with { Deployment = deployment, ConfirmTimeout = timeout };

    private static string Target(string link) => Native.RealPath(link) ?? "(missing)";

    private static RollbackDeadline Deadline(string deployment = "dep-1", string state = RollbackStates.Armed, uint armedBy = 990, long? at = 10_000) => new()
    {
        Id = RollbackDeadline.IdFor(deployment, RollbackDeadline.NixosKind, null),
        Deployment = deployment,
        Kind = RollbackDeadline.NixosKind,
        Mode = "switch",
        Profile = "/p/system",
        NewPath = "/nix/store/new",
        PreviousPath = "/nix/store/old",
        PreviousGeneration = 1,
        ArmedByUid = armedBy,
        TimeoutSeconds = 10,
        ArmedAtUnixMs = 0,
        DeadlineAtUnixMs = at,
        State = state,
    };

    // ---------------------------------------------------------------- pure rules

    [Theory]
    [InlineData(null, 3600, 0)]
    [InlineData(0, 3600, 0)]
    [InlineData(120, 3600, 120)]
    [InlineData(7200, 300, 300)]
    [InlineData(120, 0, 0)]
    public void The_operators_maximum_caps_the_requested_confirm_timeout_and_zero_turns_it_off(int? requested, int max, int expected) =>
        Assert.Equal(expected, RollbackRules.EffectiveTimeout(requested, new ActivatorConfig { MaxConfirmTimeoutSeconds = max }));

    [Fact]
    public void A_newer_switch_supersedes_the_armed_deadline_and_goes_back_to_what_that_one_would_have()
    {
        var older = Deadline("dep-1");
        var fresh = Deadline("dep-2") with { PreviousPath = "/nix/store/new", PreviousGeneration = 2, NewPath = "/nix/store/newer" };
        var (armed, superseded) = RollbackRules.Arm(fresh, [older], 500);
        Assert.Equal("/nix/store/old", armed!.PreviousPath);
        Assert.Equal(1, armed.PreviousGeneration);
        Assert.Equal(RollbackStates.Superseded, Assert.Single(superseded).State);
    }

    [Fact]
    public void A_deployment_whose_deadline_fired_is_never_armed_again()
    {
        var (armed, superseded) = RollbackRules.Arm(Deadline(), [Deadline(state: RollbackStates.RolledBack)], 500);
        Assert.Null(armed);
        Assert.Empty(superseded);
    }

    [Fact]
    public void Confirm_disarms_an_armed_deadline_and_refuses_another_account()
    {
        Assert.Equal(ConfirmOutcome.NotYours, RollbackRules.Confirm(Deadline(armedBy: 990), 1000, 5).Outcome);
        var (outcome, updated) = RollbackRules.Confirm(Deadline(armedBy: 990), 990, 5);
        Assert.Equal(ConfirmOutcome.Confirmed, outcome);
        Assert.Equal(RollbackStates.Confirmed, updated!.State);
        Assert.Equal(ConfirmOutcome.Confirmed, RollbackRules.Confirm(Deadline(armedBy: 990), 0, 5).Outcome); // root may
        Assert.Equal(ConfirmOutcome.RolledBack, RollbackRules.Confirm(Deadline(state: RollbackStates.RolledBack), 990, 5).Outcome);
        Assert.Equal(ConfirmOutcome.AlreadyConfirmed, RollbackRules.Confirm(Deadline(state: RollbackStates.Confirmed), 990, 5).Outcome);
        Assert.Equal(ConfirmOutcome.NotYetBooted, RollbackRules.Confirm(Deadline(at: null), 990, 5).Outcome);
    }

    [Fact]
    public void A_boot_deadline_starts_its_full_timeout_at_boot_and_only_once()
    {
        var booted = RollbackRules.StartAtBoot(Deadline(at: null), 1_000)!;
        Assert.Equal(11_000, booted.DeadlineAtUnixMs);
        Assert.Null(RollbackRules.StartAtBoot(booted, 50_000));
        Assert.Null(RollbackRules.StartAtBoot(Deadline(at: null, state: RollbackStates.RolledBack), 1_000));
    }

    [Fact]
    public void A_profile_someone_else_moved_is_not_rolled_back()
    {
        Assert.Null(RollbackRules.WhyNotRollBack(Deadline(), "/nix/store/new"));
        Assert.Contains("someone switched since", RollbackRules.WhyNotRollBack(Deadline(), "/nix/store/other"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_systemd_timer_is_a_transient_unit_that_runs_the_fire_command()
    {
        var fire = RollbackTimer.FireCommand(["/run/current-system/sw/bin/sower-activator"], "/etc/sower/activator.json", "dep-1.system");
        var spec = RollbackTimer.SystemdSpec(new ActivatorConfig(), "dep-1.system", TimeSpan.FromSeconds(119.2), fire);
        Assert.Equal("systemd-run", spec.Program);
        Assert.Equal(
            ["--unit=sower-rollback-dep-1-system", "--description=Sower rollback deadline dep-1.system", "--on-active=120s", "--timer-property=AccuracySec=1s",
             "--collect", "--", "/run/current-system/sw/bin/sower-activator", "--config", "/etc/sower/activator.json", "--fire-rollback", "dep-1.system"],
            spec.Arguments);
        Assert.True(RollbackTimer.UseSystemd(new ActivatorConfig(), systemdIsInit: true));
        Assert.False(RollbackTimer.UseSystemd(new ActivatorConfig(), systemdIsInit: false));
        Assert.False(RollbackTimer.UseSystemd(new ActivatorConfig { RollbackTimer = "process" }, systemdIsInit: true));
    }

    [Fact]
    public void The_rollback_configuration_keys_are_validated()
    {
        var c = ActivatorConfig.Parse("""{"rollback_state_dir":"/var/lib/x","max_confirm_timeout_seconds":600,"rollback_timer":"systemd"}""");
        Assert.Equal("/var/lib/x", c.RollbackStateDir);
        Assert.Equal(600, c.MaxConfirmTimeoutSeconds);
        var e = Assert.Throws<ActivatorSetupException>(() => ActivatorConfig.Parse("""{"rollback_timer":"cron","rollback_state_dir":"rel/dir","max_confirm_timeout_seconds":-1}"""));
        Assert.Equal(3, e.Problems.Count);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_hostile_deployment_id_is_refused_before_anything_happens(string deployment)
    {
        Assert.StartsWith("invalid deployment", ActivatorRequestValidator.Validate(ActivatorRequest.Confirm("c", deployment)), StringComparison.Ordinal);
        Assert.StartsWith("invalid deployment", ActivatorRequestValidator.Validate(Switch("s", "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x", deployment, 5)), StringComparison.Ordinal);
    }

    [Fact]
    public void Confirm_timeout_and_deployment_cross_the_wire_and_a_negative_timeout_is_refused()
    {
        var request = Switch("s", "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x", "dep-1", 120);
        Assert.Equal(request, ActivatorProtocol.ParseRequest(ActivatorProtocol.SerializeRequest(request)).Request);
        Assert.Equal(ActivatorProtocol.InvalidJson, ActivatorProtocol.ParseRequest("""{"id":"x","type":"nixos","confirm_timeout":"120"}""").Error);
        Assert.StartsWith("invalid confirm_timeout", ActivatorRequestValidator.Validate(request with { ConfirmTimeout = -1 }), StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- in process: who may confirm

    [Fact]
    public async Task A_socket_peer_cannot_confirm_a_deadline_another_account_armed_nor_an_unknown_one()
    {
        var dirs = Setup("rb-notyours");
        var store = new RollbackStore(dirs.State);
        store.Save(Deadline("dep-other", armedBy: 4242));
        var settings = InProcess.Settings(ActivatorConfig.Load(dirs.Config) with { RequestReadTimeoutSeconds = 2 }, new HashSet<uint> { 27 });
        var peer = Connection.Socket(new ActivatorPeerCredentials(1, 1000, 1000, [1000, 27]));
        var runner = new ForbiddingRunner();

        var (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, settings), ActivatorRequest.Confirm("c1", "dep-other"), peer);
        Assert.Equal(1, code);
        Assert.Contains(frames, f => f.Type == "error" && f.Data == ConfirmAction.NotYours("dep-other"));
        Assert.Equal(RollbackStates.Armed, store.Load("dep-other.system")!.State);

        (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, settings), ActivatorRequest.Confirm("c2", "dep-unknown"), peer);
        Assert.Equal(1, code);
        Assert.Contains(frames, f => f.Type == "error" && f.Data == ConfirmAction.Unknown("dep-unknown"));

        // A peer outside the allowed groups is refused before its request is even read.
        (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, settings), ActivatorRequest.Confirm("c3", "dep-other"),
            Connection.Socket(new ActivatorPeerCredentials(1, 4242, 4242, [4242])));
        Assert.Equal(1, code);
        Assert.Equal(RollbackStates.Armed, store.Load("dep-other.system")!.State);
        Assert.Equal(0, runner.Count);
    }

    // ---------------------------------------------------------------- the real binary on the real store

    [Fact]
    public void An_unconfirmed_switch_is_rolled_back_by_the_detached_timer_alone_and_a_late_confirm_learns_why()
    {
        var dirs = Setup("rb-fire");
        var baseSystem = _nix.StorePathOf("sys-rb-base");
        var newSystem = _nix.StorePathOf("sys-rb-new");
        Assert.Equal(0, Run(dirs, ActivatorRequest.NixOS("base", baseSystem, "switch")).Code);

        var (code, frames, stderr) = Run(dirs, Switch("new", newSystem, "dep-fire", 2));
        var switched = System.Diagnostics.Stopwatch.StartNew(); // the request is over: from here on nobody confirms
        Assert.True(code == 0, FrameAssert.Text(frames) + stderr);
        Assert.Contains(frames, f => f.Data?.Contains("Rollback deadline armed", StringComparison.Ordinal) == true);
        Assert.Equal(newSystem, Target(dirs.SystemProfile));

        // The activator process has exited: only the detached timer is left to act.
        var store = new RollbackStore(dirs.State);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (store.Load("dep-fire.system")?.State == RollbackStates.Armed && DateTime.UtcNow < until) Thread.Sleep(200);

        while (Target(dirs.SystemProfile) != baseSystem && DateTime.UtcNow < until) Thread.Sleep(50);
        output.WriteLine($"benchmark: switch done → profile restored in {switched.Elapsed.TotalSeconds:0.00}s with confirm_timeout 2s");
        var fired = store.Load("dep-fire.system")!;
        Assert.True(fired.State == RollbackStates.RolledBack, File.Exists(store.LogOf(fired.Id)) ? File.ReadAllText(store.LogOf(fired.Id)) : fired.ToJson());
        Assert.Equal(baseSystem, Target(dirs.SystemProfile));
        Assert.Equal(1, ProfileGenerations.Current(dirs.SystemProfile)); // back on generation 1
        Assert.Equal(["switch uid=0", "switch uid=0"], _nix.SwitchRecords("sys-rb-base")); // the previous system was switched to again
        Assert.Contains("no confirmation from the garden within 2s", fired.Reason, StringComparison.Ordinal);

        var late = Run(dirs, ActivatorRequest.Confirm("late", "dep-fire"));
        Assert.Equal(ActivatorExitCodes.RolledBack, late.Code);
        Assert.Contains(late.Frames, f => f.Type == "error" && f.Data!.StartsWith("rolled back: no confirmation", StringComparison.Ordinal));

        var status = Run(dirs, ActivatorRequest.RollbackStatus("st", "dep-fire"));
        Assert.Equal(0, status.Code);
        Assert.Contains(status.Frames, f => f.Data?.Contains("\"state\":\"rolled_back\"", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void A_confirmed_switch_is_never_rolled_back()
    {
        var dirs = Setup("rb-kept");
        var baseSystem = _nix.StorePathOf("sys-rb-kept-base");
        var newSystem = _nix.StorePathOf("sys-rb-kept-new");
        Assert.Equal(0, Run(dirs, ActivatorRequest.NixOS("base", baseSystem, "switch")).Code);
        // Long enough for the confirm below to arrive even on a loaded machine; the timer then ends on its own.
        Assert.Equal(0, Run(dirs, Switch("new", newSystem, "dep-kept", 30)).Code);

        var confirm = Run(dirs, ActivatorRequest.Confirm("ok", "dep-kept"));
        Assert.Equal(0, confirm.Code);
        var timerLog = new RollbackStore(dirs.State).LogOf("dep-kept.system");
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!(File.Exists(timerLog) && File.ReadAllText(timerLog).Contains("Nothing to fire", StringComparison.Ordinal)) && DateTime.UtcNow < until) Thread.Sleep(200);
        Assert.Contains("Nothing to fire", File.ReadAllText(timerLog), StringComparison.Ordinal); // the timer saw the confirm and left

        Assert.Equal(newSystem, Target(dirs.SystemProfile));
        Assert.Equal(RollbackStates.Confirmed, new RollbackStore(dirs.State).Load("dep-kept.system")!.State);
        Assert.Equal(["switch uid=0"], _nix.SwitchRecords("sys-rb-kept-base"));
        Assert.Equal(0, Run(dirs, ActivatorRequest.Confirm("again", "dep-kept")).Code); // idempotent
    }

    [Fact]
    public void A_boot_switch_waits_for_the_boot_then_rolls_back_and_reboots_exactly_once()
    {
        var dirs = Setup("rb-boot");
        var baseSystem = _nix.StorePathOf("sys-rb-boot-base");
        var newSystem = _nix.StorePathOf("sys-rb-boot-new");
        Assert.Equal(0, Run(dirs, ActivatorRequest.NixOS("base", baseSystem, "switch")).Code);
        Assert.Equal(0, Run(dirs, Switch("new", newSystem, "dep-boot", 2, mode: "boot")).Code);

        var store = new RollbackStore(dirs.State);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Equal(RollbackStates.Armed, store.Load("dep-boot.system")!.State); // nothing runs before the boot
        Assert.Equal(ActivatorExitCodes.NotYetBooted, Run(dirs, ActivatorRequest.Confirm("early", "dep-boot")).Code);

        // The boot: the deadline starts now.
        var resume = ActivatorProcess.RunPipe(Array.Empty<byte>(), "--config", dirs.Config, "--resume-rollbacks");
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (store.Load("dep-boot.system")?.State == RollbackStates.Armed && DateTime.UtcNow < until) Thread.Sleep(200);
        var fired = store.Load("dep-boot.system")!;
        Assert.Equal(RollbackStates.RolledBack, fired.State);
        Assert.True(fired.RebootRequested);
        Assert.Equal(baseSystem, Target(dirs.SystemProfile));
        Assert.Equal(["switch uid=0", "boot uid=0"], _nix.SwitchRecords("sys-rb-boot-base"));
        until = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(dirs.Reboots) && DateTime.UtcNow < until) Thread.Sleep(100);

        // The next boot (into the previous generation) finds nothing armed: no second reboot, no loop.
        Assert.Equal(0, ActivatorProcess.RunPipe(Array.Empty<byte>(), "--config", dirs.Config, "--resume-rollbacks").ExitCode);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Equal(["reboot"], File.ReadAllLines(dirs.Reboots));
        // And the same deployment switching again is not armed again.
        var again = Run(dirs, Switch("again", newSystem, "dep-boot", 2, mode: "boot"));
        Assert.Contains(again.Frames, f => f.Data?.Contains("not armed again", StringComparison.Ordinal) == true);
    }
}
