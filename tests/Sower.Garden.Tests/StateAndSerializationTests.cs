using System.Text.Json.Nodes;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodaTime;
using Sower.Actors.Garden;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Garden.Tests;

public sealed class StateAndSerializationTests : TestKit, IDisposable
{
    private readonly TempDir _dir = new();

    void IDisposable.Dispose()
    {
        _dir.Dispose();
        base.Dispose();
    }

    [Fact]
    public void State_round_trips_with_private_modes_and_no_temp_file_left()
    {
        var stateDir = Path.Combine(_dir.Path, "state");
        var store = new GardenStateStore(stateDir);
        var spec = new SubscriptionSpec("web", "web01", SeedType.NixOS, [new Rule("git_branch", "eq", "main")], "30 4 * * *", "Europe/Berlin", Policy.Default);
        store.Update(s => s with
        {
            GardenSid = "grdn_aaaaaaaaaaaaaaaaaaaaaaaa",
            Credential = "secret",
            Subscriptions = [new SyncedSubscription("sub_aaaaaaaaaaaaaaaaaaaaaaaa", spec)],
            LastFires = s.LastFires.SetItem("web", Instant.FromUtc(2026, 1, 1, 4, 30)),
            ActiveServices = s.Services.SetItem("sub_svc", new Sower.Messages.Activator.ServiceSeed("svc", "/nix/store/x-svc")),
        });
        var again = new GardenStateStore(stateDir).Current;
        Assert.Equal("secret", again.Credential);
        Assert.Equal(spec, again.Subscriptions!.Value.Single().Spec);
        Assert.Equal(Instant.FromUtc(2026, 1, 1, 4, 30), again.LastFires["web"]);
        Assert.Equal("/nix/store/x-svc", again.Services["sub_svc"].Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(stateDir));
        Assert.False(File.Exists(store.FilePath + ".tmp"));
    }

    public static TheoryData<IGardenJournalEvent> Events => new()
    {
        new GardenJournalEvents.OutboxAppended(3, "deployment:result", """{"a":1}"""),
        new GardenJournalEvents.OutboxMessageAppended(4, GatewayRequests.SeedLog("dply_x", "seed_x", "line\n")),
        new GardenJournalEvents.OutboxMessageAppended(5, GatewayRequests.DeploymentResult("req_x", "dply_x", "success", "2026-01-01T00:00:00Z")),
        new GardenJournalEvents.OutboxDelivered(3),
        new GardenJournalEvents.DeploymentAccepted("dply_x", "{}", 17),
        new GardenJournalEvents.DeploymentFinished("dply_x", null, "success", "2026-01-01T00:00:00Z", 18),
        new GardenJournalEvents.ActivationStarted("seed_x", "activate"),
        new GardenJournalEvents.ActivationStarted("seed_x", "activate", "alice"),
        new GardenJournalEvents.SeedFinished("seed_x", null, null, "log"),
        new GardenJournalEvents.DeploymentCompleted("partial", "2026-01-01T00:00:00Z"),
        new GardenJournalEvents.LiveSwitchStarted("seed_x", "/nix/store/x"),
        new GardenJournalEvents.RollbackArmed("seed_x"),
        new GardenJournalEvents.ConfirmationAwaited("success", true, 19),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Every_journal_event_round_trips_through_its_versioned_manifest(IGardenJournalEvent e)
    {
        var serializer = new GardenJournalSerializer((ExtendedActorSystem)Sys);
        var manifest = serializer.Manifest(e);
        Assert.Matches("-v[12]$", manifest);
        Assert.Equal(e, serializer.FromBinary(serializer.ToBinary(e), manifest));
    }

    [Fact]
    public void An_activation_started_event_written_by_an_older_garden_still_reads_without_a_user()
    {
        var serializer = new GardenJournalSerializer((ExtendedActorSystem)Sys);
        var v1 = System.Text.Encoding.UTF8.GetBytes("""{"SeedSid":"seed_x","Action":"restart"}""");
        Assert.Equal(new GardenJournalEvents.ActivationStarted("seed_x", "restart", null), serializer.FromBinary(v1, "activation-started-v1"));
        Assert.Equal("activation-started-v2", serializer.Manifest(new GardenJournalEvents.ActivationStarted("seed_x", "restart", "alice")));
    }

    [Fact]
    public void A_typed_outbox_entry_is_journaled_as_its_hub_method_and_wire_payload()
    {
        var serializer = new GardenJournalSerializer((ExtendedActorSystem)Sys);
        var appended = new GardenJournalEvents.OutboxMessageAppended(7, GatewayRequests.SeedStatus("dply_x", "seed_x", Sower.Messages.Deployments.SeedDeploymentState.Activating));
        Assert.Equal("outbox-appended-v2", serializer.Manifest(appended));
        var stored = JsonNode.Parse(serializer.ToBinary(appended))!;
        Assert.Equal(GatewayProtocol.DeploymentSeedStatus, (string?)stored["Method"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"deployment_sid":"dply_x","seed_sid":"seed_x","status":"activating"}"""), stored["Message"]));
    }

    [Fact]
    public void A_v2_outbox_entry_naming_no_gateway_request_is_refused_with_its_sequence_number()
    {
        var serializer = new GardenJournalSerializer((ExtendedActorSystem)Sys);
        var bad = System.Text.Encoding.UTF8.GetBytes("""{"Seq":9,"Method":"no:such","Message":{}}""");
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bad, "outbox-appended-v2"));
        Assert.Contains("9", e.Message);
        Assert.Contains("no:such", e.Message);
    }

    [Fact]
    public void Deployment_push_json_round_trips()
    {
        var push = new GardenDeployment("req_a", "dply_a", Trigger.Realtime, true, false,
            [new GardenSeedDeployment("sub_a", PolicyAction.Stage, new GardenSeed("seed_a", "web01", "nixos", "/nix/store/x", [new Tag("k", "v")]))]);
        var back = GardenDeployment.Parse(System.Text.Json.Nodes.JsonNode.Parse(DeployerActor.ToJson(push)));
        Assert.True(back.Ok);
        Assert.Equal(DeployerActor.ToJson(push), DeployerActor.ToJson(back.Value!));
    }
}
