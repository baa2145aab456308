using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

public class VocabularyTests
{
    [Theory]
    [InlineData("nixos", SeedType.NixOS)]
    [InlineData("home-manager", SeedType.HomeManager)]
    [InlineData("nix-darwin", SeedType.NixDarwin)]
    [InlineData("service", SeedType.Service)]
    [InlineData("gcroot", SeedType.GcRoot)]
    public void Seed_type_wire_names_round_trip(string wire, SeedType type)
    {
        Assert.True(SeedTypes.TryParse(wire, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(wire, type.ToWire());
    }

    [Theory]
    [InlineData("NixOS")]
    [InlineData("home_manager")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_seed_types_do_not_parse(string? wire) => Assert.False(SeedTypes.TryParse(wire, out _));

    [Fact]
    public void Supported_actions_follow_the_seed_type_table()
    {
        Assert.Equal([PolicyAction.Restart, PolicyAction.Activate, PolicyAction.Stage], SeedType.NixOS.SupportedActions());
        Assert.Equal([PolicyAction.Restart, PolicyAction.Activate, PolicyAction.Stage], SeedType.NixDarwin.SupportedActions());
        Assert.Equal([PolicyAction.Activate, PolicyAction.Stage], SeedType.HomeManager.SupportedActions());
        Assert.Equal([PolicyAction.Activate, PolicyAction.Stage], SeedType.Service.SupportedActions());
        Assert.Equal([PolicyAction.Stage], SeedType.GcRoot.SupportedActions());
        Assert.Empty(((SeedType)99).SupportedActions());
        foreach (var type in SeedTypes.All)
        {
            foreach (var action in new[] { PolicyAction.Stage, PolicyAction.Activate, PolicyAction.Restart })
            {
                Assert.Equal(type.SupportedActions().Contains(action), type.Supports(action));
            }
        }
    }

    [Theory]
    [InlineData("success", Sower.Messages.Deployments.DeploymentResult.Success)]
    [InlineData("partial", Sower.Messages.Deployments.DeploymentResult.Partial)]
    [InlineData("rolled_back", Sower.Messages.Deployments.DeploymentResult.RolledBack)]
    public void Deployment_result_wire_names_round_trip_and_rolled_back_counts_as_a_failure(string wire, Sower.Messages.Deployments.DeploymentResult result)
    {
        Assert.Equal(wire, Sower.Messages.Deployments.DeploymentWire.ToWire(result));
        Assert.True(Sower.Messages.Deployments.DeploymentWire.TryParseResult(wire, out var parsed));
        Assert.Equal(result, parsed);
        Assert.Equal(result != Sower.Messages.Deployments.DeploymentResult.Success, Sower.Messages.Deployments.DeploymentWire.IsFailure(result));
        Assert.False(Sower.Messages.Deployments.DeploymentWire.TryParseResult("rolledback", out _));
    }

    [Fact]
    public void Actions_are_ordered_by_disruption()
    {
        Assert.True(PolicyAction.Restart > PolicyAction.Activate && PolicyAction.Activate > PolicyAction.Stage);
        Assert.Equal([PolicyAction.Restart, PolicyAction.Activate, PolicyAction.Stage], PolicyActions.ByDisruptionDescending);
        Assert.Equal(PolicyAction.Stage, PolicyActions.Min(PolicyAction.Restart, PolicyAction.Stage));
        foreach (var action in PolicyActions.ByDisruptionDescending)
        {
            Assert.True(PolicyActions.TryParse(action.ToWire(), out var back));
            Assert.Equal(action, back);
        }
        Assert.False(PolicyActions.TryParse("reboot", out _));
    }

    [Fact]
    public void Trigger_wire_names_round_trip()
    {
        Assert.Equal(["manual", "scheduled", "realtime", "poll_on_connect", "recall"], Triggers.All.Select(t => t.ToWire()));
        foreach (var trigger in Triggers.All)
        {
            Assert.True(Triggers.TryParse(trigger.ToWire(), out var back));
            Assert.Equal(trigger, back);
        }
        Assert.False(Triggers.TryParse("poll-on-connect", out _));
    }

    [Theory]
    [InlineData(AuditReason.UserTriggered, "user_triggered", Trigger.Manual)]
    [InlineData(AuditReason.UserRetry, "user_retry", Trigger.Manual)]
    [InlineData(AuditReason.AdminTriggered, "admin_triggered", Trigger.Manual)]
    [InlineData(AuditReason.ScheduleTriggered, "schedule_triggered", Trigger.Scheduled)]
    [InlineData(AuditReason.RealtimeTriggered, "realtime_triggered", Trigger.Realtime)]
    [InlineData(AuditReason.PollOnConnect, "poll_on_connect", Trigger.PollOnConnect)]
    [InlineData(AuditReason.RecallTriggered, "recall_triggered", Trigger.Recall)]
    public void Every_creation_reason_maps_to_exactly_one_trigger(AuditReason reason, string wire, Trigger trigger)
    {
        Assert.Equal(wire, reason.ToWire());
        Assert.True(AuditReasons.TryParse(wire, out var back));
        Assert.Equal(reason, back);
        Assert.Equal(trigger, reason.ToTrigger());
    }

    [Fact]
    public void A_garden_can_never_claim_realtime()
    {
        Assert.Equal(AuditReason.AdminTriggered, AuditReasons.ForGardenRequest(Trigger.Manual));
        Assert.Equal(AuditReason.ScheduleTriggered, AuditReasons.ForGardenRequest(Trigger.Scheduled));
        Assert.Equal(AuditReason.PollOnConnect, AuditReasons.ForGardenRequest(Trigger.PollOnConnect));
        Assert.Null(AuditReasons.ForGardenRequest(Trigger.Realtime));
    }
}

public class SidTests
{
    [Fact]
    public void New_sids_have_the_prefix_and_24_lower_case_alphanumerics_starting_with_a_letter()
    {
        for (var i = 0; i < 200; i++)
        {
            var id = SeedId.New().Value;
            Assert.StartsWith("seed_", id);
            Assert.Equal(5 + 24, id.Length);
            Assert.InRange(id[5], 'a', 'z');
            Assert.All(id[5..], c => Assert.True(c is (>= 'a' and <= 'z') or (>= '0' and <= '9')));
            Assert.True(Sid.IsValid(id, SeedId.Prefix));
        }
        Assert.StartsWith("grdn_", GardenId.New().Value);
        Assert.StartsWith("sub_", SubscriptionId.New().Value);
        Assert.StartsWith("dply_", DeploymentId.New().Value);
        Assert.StartsWith("req_", RequestId.New().Value);
        Assert.StartsWith("conn_", ConnectionId.New().Value);
        Assert.NotEqual(SeedId.New(), SeedId.New());
    }

    [Fact]
    public void Token_sids_have_no_prefix_and_no_underscore()
    {
        var id = TokenId.New().Value;
        Assert.Equal(24, id.Length);
        Assert.DoesNotContain('_', id);
        Assert.True(Sid.IsValid(id, ""));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("seed_")]
    [InlineData("seed_1bcdefghijklmnopqrstuvwx")]   // starts with a digit
    [InlineData("seed_Abcdefghijklmnopqrstuvwx")]   // upper case
    [InlineData("seed_abcdefghijklmnopqrstuvw")]    // 23 characters
    [InlineData("seed_abcdefghijklmnopqrstuvwxy")]  // 25 characters
    [InlineData("grdn_abcdefghijklmnopqrstuvwx")]   // other prefix
    [InlineData("seedxabcdefghijklmnopqrstuvwx")]   // no underscore
    [InlineData("seed_abcdefghijklmnopqrstu-wx")]
    public void Malformed_sids_are_rejected(string? value) => Assert.False(Sid.IsValid(value, SeedId.Prefix));
}

public class StorePathTests
{
    private const string Hash = "0c0rkxrcv2rkvdx2ab3jspc7mijz0fhn";

    [Theory]
    [InlineData("/nix/store/" + Hash + "-nixos-system-web01-24.05")]
    [InlineData("/nix/store/" + Hash + "-a")]
    [InlineData("/nix/store/" + Hash + "-A-Za-z0-9+-._?=")]
    public void Valid_store_paths_pass(string path)
    {
        Assert.Null(StorePath.Validate(path));
        Assert.True(StorePath.IsValid(path));
    }

    [Theory]
    [InlineData(null, "path must be in /nix/store")]
    [InlineData("", "path must be in /nix/store")]
    [InlineData("nix/store/" + Hash + "-x", "path must be in /nix/store")]
    [InlineData("/nix/storex/" + Hash + "-x", "path must be in /nix/store")]
    [InlineData("/tmp/" + Hash + "-x", "path must be in /nix/store")]
    [InlineData("/nix/store/", "invalid path")]
    [InlineData("/nix/store/" + Hash, "invalid path")]
    [InlineData("/nix/store/" + Hash + "-", "invalid path")]
    [InlineData("/nix/store/" + Hash + "-x/", "invalid path")]
    [InlineData("/nix/store/" + Hash + "-x/bin/sh", "invalid path")]
    [InlineData("/nix/store/" + Hash + "-.hidden", "invalid path")]
    [InlineData("/nix/store/" + Hash + "-a b", "invalid path")]
    [InlineData("/nix/store/" + Hash + "-a/../b", "invalid path")]
    [InlineData("/nix/store/../etc/passwd", "invalid path")]
    [InlineData("/nix/store/0c0rkxrcv2rkvdx2ab3jspc7mijz0fhe-x", "invalid path")]  // 'e' is not base-32
    [InlineData("/nix/store/0c0rkxrcv2rkvdx2ab3jspc7mijz0fh-x", "invalid path")]   // 31 characters
    [InlineData("/nix/store/0C0RKXRCV2RKVDX2AB3JSPC7MIJZ0FHN-x", "invalid path")]  // upper case
    public void Invalid_store_paths_get_the_exact_error(string? path, string error) => Assert.Equal(error, StorePath.Validate(path));

    [Fact]
    public void Names_are_limited_to_211_characters()
    {
        Assert.True(StorePath.IsValid("/nix/store/" + Hash + "-" + new string('a', 211)));
        Assert.False(StorePath.IsValid("/nix/store/" + Hash + "-" + new string('a', 212)));
    }

    [Fact]
    public void The_name_follows_the_hash() =>
        Assert.Equal("nixos-system-web01-24.05", StorePath.NameOf("/nix/store/" + Hash + "-nixos-system-web01-24.05"));
}
