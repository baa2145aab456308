using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Messages.Tests;

/// <summary>Boot-only changes, reboot pending, drift and the drift guard (issue 16.4), and the report's checks.</summary>
public class HostConditionRulesTests
{
    private const string A = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-a";
    private const string B = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-b";
    private const string C = "/nix/store/cccccccccccccccccccccccccccccccc-nixos-system-c";
    private static readonly Instant T0 = Instant.FromUtc(2026, 12, 5, 18, 0);
    private static readonly Instant T1 = T0 + Duration.FromMinutes(5);

    [Fact]
    public void Only_boot_components_differing_is_a_boot_only_change_named_by_its_first_component()
    {
        Assert.Equal("kernel_changed", HostConditionRules.BootOnlyReason(["kernel-modules", "kernel", "initrd"]));
        Assert.Equal("initrd_changed", HostConditionRules.BootOnlyReason(["initrd"]));
        Assert.Equal("kernel_params_changed", HostConditionRules.BootOnlyReason(["kernel-params", "boot.json"]));
        Assert.Null(HostConditionRules.BootOnlyReason(["kernel", "etc"]));
        Assert.Null(HostConditionRules.BootOnlyReason([]));
        Assert.Null(HostConditionRules.BootOnlyReason(null));
        Assert.Equal("kernel_changed", HostConditionRules.BootReason(["kernel", "etc"]));
        Assert.Null(HostConditionRules.BootReason(["etc", "sw"]));
    }

    [Fact]
    public void Activate_with_a_boot_only_change_boots_instead_of_switching_and_everything_else_keeps_its_mode()
    {
        Assert.Equal("boot", HostConditionRules.NixosMode(PolicyAction.Activate, "kernel_changed"));
        Assert.Equal("switch", HostConditionRules.NixosMode(PolicyAction.Activate, null));
        Assert.Equal("boot", HostConditionRules.NixosMode(PolicyAction.Restart, null));
        Assert.Equal("boot", HostConditionRules.NixosMode(PolicyAction.Restart, "kernel_changed"));
        Assert.Null(HostConditionRules.NixosMode(PolicyAction.Stage, "kernel_changed"));
    }

    [Fact]
    public void A_boot_activation_marks_reboot_pending_until_the_host_boots_the_deployed_system()
    {
        var after = HostConditionRules.AfterActivation(HostCondition.None, B, "seed_b", "boot", "kernel_changed", T0);
        Assert.Equal(new RebootPending(B, "kernel_changed", T0), after.RebootPending);
        // Still running A from before the boot: pending, not drifted.
        var running = HostConditionRules.Observe(after, new HostObservation(B, A, A), T1);
        Assert.NotNull(running.RebootPending);
        Assert.Null(running.Drift);
        var booted = HostConditionRules.Observe(running, new HostObservation(B, B, B), T1);
        Assert.Null(booted.RebootPending);
        Assert.Null(booted.Drift);
    }

    [Fact]
    public void A_switch_activation_clears_reboot_pending_and_drift()
    {
        var before = new HostCondition(A, "seed_a", new RebootPending(A, "kernel_changed", T0), new Drift(A, C, "x", T0));
        var after = HostConditionRules.AfterActivation(before, B, "seed_b", "switch", "kernel_changed", T1);
        Assert.Equal(new HostCondition(B, "seed_b", null, null), after);
    }

    [Fact]
    public void A_profile_switched_by_hand_is_drift_and_keeps_its_first_time_until_the_host_runs_the_deployed_system_again()
    {
        var deployed = new HostCondition(B, "seed_b", null, null);
        var drifted = HostConditionRules.Observe(deployed, new HostObservation(A, B, B), T0);
        Assert.Equal(new Drift(B, A, "the system profile points at another system than Sower deployed", T0), drifted.Drift);
        Assert.Same(drifted.Drift, HostConditionRules.Observe(drifted, new HostObservation(A, B, B), T1).Drift);
        Assert.Null(HostConditionRules.Observe(drifted, new HostObservation(B, B, B), T1).Drift);
    }

    [Fact]
    public void A_running_system_other_than_the_deployed_one_is_drift_unless_a_reboot_is_pending()
    {
        var deployed = new HostCondition(B, "seed_b", null, null);
        Assert.Equal(C, HostConditionRules.Observe(deployed, new HostObservation(B, C, B), T0).Drift?.Running);
        var pending = deployed with { RebootPending = new RebootPending(B, "kernel_changed", T0) };
        Assert.Null(HostConditionRules.Observe(pending, new HostObservation(B, A, A), T0).Drift);
    }

    [Fact]
    public void Nothing_is_drift_before_Sower_deployed_anything()
    {
        Assert.Equal(HostCondition.None, HostConditionRules.Observe(HostCondition.None, new HostObservation(A, C, null), T0));
    }

    [Theory]
    [InlineData(Trigger.Scheduled, B, true)]
    [InlineData(Trigger.Realtime, B, true)]
    [InlineData(Trigger.PollOnConnect, B, true)]
    [InlineData(Trigger.Manual, B, false)]
    [InlineData(Trigger.Scheduled, C, false)]
    public void A_drifted_host_is_held_only_against_automatic_deployments_of_the_same_system(Trigger trigger, string artifact, bool held)
    {
        var drifted = new HostCondition(B, "seed_b", null, new Drift(B, A, "by hand", T0));
        Assert.Equal(held, HostConditionRules.HoldsForDrift(drifted, trigger, artifact));
        Assert.False(HostConditionRules.HoldsForDrift(drifted with { Drift = null }, trigger, artifact));
    }

    private static readonly GardenId Me = new("grdn_abcdefghijklmnopqrstuvwx");

    private static GardenConditionMessage Message(string? garden = null, RebootPendingMessage? pending = null, DriftMessage? drift = null) =>
        new(garden ?? Me.Value, pending, drift);

    [Fact]
    public void A_report_round_trips_from_the_garden_payload_to_validated_values()
    {
        var payload = GardenConditionReport.Payload(Me.Value, new RebootPending(B, "kernel_changed", T0), new Drift(B, null, "the system profile points at nothing", T0));
        var message = System.Text.Json.JsonSerializer.Deserialize<GardenConditionMessage>(payload.ToJsonString(), GatewayProtocol.Json)!;
        var (pending, drift, problems) = GardenConditionReport.Validate(message, Me, T1);
        Assert.Empty(problems);
        Assert.Equal(new RebootPending(B, "kernel_changed", T0), pending);
        Assert.Equal(new Drift(B, null, "the system profile points at nothing", T0), drift);
    }

    [Fact]
    public void A_report_for_another_garden_is_refused()
    {
        var (_, _, problems) = GardenConditionReport.Validate(Message("grdn_zzzzzzzzzzzzzzzzzzzzzzzz"), Me, T1);
        Assert.Equal("garden_sid", Assert.Single(problems).Path);
        Assert.Equal("garden_sid", Assert.Single(GardenConditionReport.Validate(Message("") with { GardenSid = null }, Me, T1).Problems).Path);
    }

    [Fact]
    public void Hostile_values_in_a_report_are_refused_field_by_field()
    {
        var since = "2026-12-05T18:00:00Z";
        var (pending, drift, problems) = GardenConditionReport.Validate(Message(
            pending: new RebootPendingMessage("/etc/passwd", "rm -rf /", "2099-01-01T00:00:00Z"),
            drift: new DriftMessage("/nix/store/../../etc", "/nix/store/short", new string('x', 301), "yesterday")), Me, T1);
        Assert.Null(pending);
        Assert.Null(drift);
        Assert.Equal(["reboot_pending.system", "reboot_pending.reason", "reboot_pending.since", "drift.expected", "drift.running", "drift.detail", "drift.since"],
            problems.Select(p => p.Path));
        var control = GardenConditionReport.Validate(Message(drift: new DriftMessage(B, null, "line\nbreak\u001b[31m", since)), Me, T1).Problems;
        Assert.Equal("drift.detail", Assert.Single(control).Path);
    }
}
