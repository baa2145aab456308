using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Garden;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>A TestKit with in-memory persistence, a FakeClock, a temp state directory and a fake activator on a real socket.</summary>
public abstract class GardenTestKit : TestKit, IAsyncLifetime
{
    public const string Hocon = """
        akka.loglevel = INFO
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serialize-messages = off
        """;

    protected GardenTestKit(ITestOutputHelper output) : base(Hocon, output: output)
    {
        Clock = new FakeClock(Instant.FromUtc(2026, 3, 2, 10, 0)); // a Monday
        Store = new GardenStateStore(Path.Combine(Dir.Path, "state"));
        Activator = new FakeActivatorServer(Dir.File("act.sock"));
    }

    protected TempDir Dir { get; } = new();
    protected FakeClock Clock { get; }
    protected GardenStateStore Store { get; }
    protected FakeActivatorServer Activator { get; }
    protected FakeGardenGateway Gateway { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Activator.DisposeAsync();
        Dir.Dispose();
    }

    /// <summary>A garden without magic rollback (confirm_timeout 0), as the tests written before it expect; <see cref="RollbackConfig"/> turns it on.</summary>
    protected GardenConfig Config(params SubscriptionSpec[] subscriptions) => RollbackConfig(0, subscriptions);

    protected GardenConfig RollbackConfig(int confirmTimeout, params SubscriptionSpec[] subscriptions) => new(
        Dir.File("client.json"), "http://127.0.0.1:1", "enroll-token", "web01", "web01",
        Path.Combine(Dir.Path, "state"), Dir.File("admin.sock"), Activator.SocketPath, "sower-activator-not-installed",
        [.. subscriptions],
        new ProfileRoots(Dir.File("profiles/system"), Dir.File("run/current-system"), Dir.File("run/booted-system"), Dir.File("per-user"), Dir.File("home")),
        GardenTimeouts.Default with { Realise = TimeSpan.FromSeconds(5), Activation = TimeSpan.FromSeconds(5), ServerReply = TimeSpan.FromSeconds(3) },
        3, "root", TimeSpan.FromMinutes(5), // no streaming mid-seed unless a test asks for it
        ConfirmTimeoutDefault: confirmTimeout);

    protected static SubscriptionSpec Nixos(string name = "web", string? schedule = null, string policyJson = "null", string zone = "Etc/UTC")
    {
        var policy = PolicyJson.Parse(JsonNode.Parse(policyJson));
        Assert.True(policy.Ok, string.Join("; ", policy.Problems));
        return new SubscriptionSpec(name, "web01", SeedType.NixOS, [], schedule, zone, policy.Value!);
    }

    protected IActorRef StartHost(GardenConfig config, Func<ConfigLoadResult>? reload = null, string name = "garden", bool isRoot = true) =>
        Sys.ActorOf(GardenHostActor.Props(new GardenHostSettings(config, Gateway, Store, Clock, "9.9.9",
            reload ?? (() => new ConfigLoadResult(config, [])), IsRoot: isRoot)), name);

    /// <summary>Sid the fake server assigns to a subscription name.</summary>
    protected static string SidOf(string name) => "sub_" + name.PadRight(24, 'x')[..24].ToLowerInvariant().Replace('-', 'x');

    protected static JsonObject PushJson(string deploymentSid, string trigger, string subscriptionName, string? action = "activate", bool approved = false,
        string seedSid = "seed_aaaaaaaaaaaaaaaaaaaaaaa1", string type = "nixos", string artifact = "/nix/store/00000000000000000000000000000000-nixos-system-web01")
        => new()
        {
            ["request_id"] = "req_aaaaaaaaaaaaaaaaaaaaaaaa",
            ["sid"] = deploymentSid,
            ["trigger"] = trigger,
            ["approved"] = approved,
            ["skipped"] = false,
            ["seed_deployments"] = new JsonArray(new JsonObject
            {
                ["subscription_sid"] = SidOf(subscriptionName),
                ["action"] = action,
                ["seed"] = new JsonObject { ["sid"] = seedSid, ["name"] = "web01", ["seed_type"] = type, ["artifact"] = artifact, ["tags"] = new JsonArray() },
            }),
        };

    /// <summary>How long a wait for something the garden does by itself may take: generous, because the CI machine is
    /// loaded; a passing test never waits for it.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Waits up to <see cref="Patience"/>, looking every 50 ms (TestKit's own default looks every tenth of the
    /// limit: 3 s here, which made every test seconds slower).</summary>
    protected void AwaitPatiently(Func<bool> condition) => AwaitCondition(condition, Patience, TimeSpan.FromMilliseconds(50));

    protected void AwaitConnectedAndSynced(int subscriptions = 1) =>
        AwaitPatiently(() => Gateway.CallsOf(GatewayProtocol.SubscriptionsSync).Count >= 1 && (Store.Current.Subscriptions?.Length ?? -1) == subscriptions);

    protected List<JsonObject> Sent(string method) => Gateway.CallsOf(method).Select(c => c.Payload).ToList();

    protected JsonObject AwaitResult(string deploymentSid)
    {
        JsonObject? found = null;
        AwaitPatiently(() => (found = Sent(GatewayProtocol.DeploymentResult).FirstOrDefault(p => (string?)p["deployment_sid"] == deploymentSid)) is not null);
        return found!;
    }

    protected ImmutableArray<JsonObject> SeedResults(string deploymentSid) =>
        [.. Sent(GatewayProtocol.DeploymentSeedResult).Where(p => (string?)p["deployment_sid"] == deploymentSid)];
}
