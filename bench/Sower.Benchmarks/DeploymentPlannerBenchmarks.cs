using System.Collections.Immutable;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Benchmarks;

/// <summary>
/// The creation algorithm runs inside the GardenActor for every trigger, over the garden's whole deployment index
/// (duplicate suppression, supersede). This measures one Create against an index of N past deployments.
/// </summary>
[MemoryDiagnoser]
public class DeploymentPlannerBenchmarks
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 29, 12, 0);
    private GardenState _state = null!;
    private CreationRequest _request = null!;
    private Dictionary<SubscriptionId, SeedInfo?> _latest = null!;

    [Params(10, 1000, 10000)]
    public int Deployments { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var garden = new GardenId("grdn_abcdefghijklmnopqrstuvwx");
        var spec = SubscriptionJson.Parse("system", JsonNode.Parse("""{"seed_name":"web","seed_type":"nixos","policy":null}"""), "s", null).Value!;
        var sub = new SubscriptionRecord(SubscriptionId.New(), garden, spec, Now);
        var state = GardenState.Empty(garden) with
        {
            Registration = new GardenRegistration("web", "h", Now, null),
            Subscriptions = ImmutableDictionary<string, SubscriptionRecord>.Empty.Add("system", sub),
        };
        var index = ImmutableDictionary.CreateBuilder<string, DeploymentSummary>();
        for (var i = 0; i < Deployments; i++)
        {
            var seed = Seed(i);
            var record = DeploymentPlanner.NewRecord(DeploymentId.New(), garden, RequestId.New(), Trigger.Manual, AuditReason.UserTriggered, Actor.FromLegacy("u"),
                ContentHash.Of([seed.Sid]), Now - Duration.FromMinutes(Deployments - i), false, [],
                [new PlannedSeed(sub.Sid, "system", PolicyAction.Activate, seed)], null, 0);
            var summary = record.ToSummary() with { State = DeploymentState.Completed, Result = DeploymentResult.Success, Executed = [ExecutedAction.Activate] };
            index.Add(summary.Sid.Value, summary);
        }
        _state = state with { Deployments = index.ToImmutable() };
        _request = new CreationRequest(RequestId.New(), [sub.Sid], Trigger.Manual, AuditReason.UserTriggered, Actor.FromLegacy("ci"), false, null);
        _latest = new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = Seed(Deployments + 1) };
    }

    private static SeedInfo Seed(int i)
    {
        var artifact = $"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web-{i}";
        return new SeedInfo(SeedIdentity.For(SeedType.NixOS, artifact), "web", SeedType.NixOS, artifact, [], Now, Now, false, "ci");
    }

    [Benchmark]
    public CreationOutcome PlanAgainstIndex() => DeploymentPlanner.Plan(_state, _request, _latest, Now, new DeploymentId("dply_abcdefghijklmnopqrstuvwx"));
}
