using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// Base of every scenario: starts the scenario's own activator and garden on the shared server, records how long the
/// scenario took, and kills its processes when the test ends, whether it passed or not.
/// </summary>
[Collection(EndToEndCollection.Name)]
public abstract class Scenario(World world, ITestOutputHelper output) : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string _name = "scenario";

    protected World World { get; } = world;
    protected Cli Cli => World.Cli;
    protected FakeNix Nix => World.Nix;

    protected string SeedName(string scenario) => $"e2e-{scenario}-{World.Nonce}";

    protected T Own<T>(T disposable) where T : IDisposable
    {
        lock (_owned) _owned.Add(disposable); // fleet scenarios start several hosts at once
        return disposable;
    }

    /// <summary>The scenario's activator (own socket, own system profile) and garden, started and synced.</summary>
    protected async Task<(ActivatorHandle Activator, GardenHandle Garden, string GardenSid)> StartAsync(
        string scenario, JsonObject subscriptions, string? endpoint = null, JsonObject? gardenConfig = null, JsonArray? rebootCommand = null)
    {
        _name = scenario;
        var activator = Own(new ActivatorHandle(World, scenario, rebootCommand));
        await activator.StartAsync();
        var garden = Own(new GardenHandle(World, scenario, activator, subscriptions, endpoint, gardenConfig));
        await garden.StartAsync();
        var sid = await Cli.GardenSidAsync(garden.Name);
        return (activator, garden, sid);
    }

    /// <summary>
    /// One host of a fleet (<c>&lt;scenario&gt;-&lt;host&gt;</c>): its own records directory, booted into and running
    /// <paramref name="runs"/> when given, its activator with the fleet's reboot command, and its garden with
    /// <paramref name="gardenConfig"/> (labels, inhibit settings) — started and synced.
    /// </summary>
    protected async Task<FleetHost> StartHostAsync(string scenario, string host, JsonObject subscriptions, JsonObject gardenConfig,
        RebootRecord? reboots = null, string? runs = null)
    {
        var name = $"{scenario}-{host}";
        var records = Nix.RecordsDir(name);
        Directory.CreateDirectory(records);
        if (runs is not null) FleetHost.Runs(records, runs);
        var (activator, garden, sid) = await StartAsync(name, subscriptions, gardenConfig: gardenConfig, rebootCommand: reboots?.CommandFor(host));
        _name = scenario;
        return new FleetHost(host, activator, garden, sid, records);
    }

    protected string Diagnostics(params ManagedProcess[] processes) => World.Diagnostics(processes);

    /// <summary>Waits until the garden has a deployment matching the predicate, and returns it.</summary>
    protected async Task<JsonNode> WaitForDeploymentAsync(string gardenSid, Func<JsonNode, bool> predicate, string what, TimeSpan limit,
        params ManagedProcess[] logs)
    {
        JsonNode? found = null;
        await Wait.Until(async () =>
        {
            found = (await Cli.DeploymentsAsync(gardenSid)).FirstOrDefault(d => d is not null && predicate(d));
            return found is not null;
        }, limit, what, () => Diagnostics(logs));
        return found!;
    }

    protected async Task<JsonNode> WaitForStateAsync(string deploymentSid, string state, TimeSpan limit, params ManagedProcess[] logs)
    {
        JsonNode? found = null;
        await Wait.Until(async () =>
        {
            found = await Cli.DeploymentAsync(deploymentSid);
            return (string?)found["state"] == state;
        }, limit, $"deployment {deploymentSid} to be {state} (last seen: {found?["state"]} {found?["result"]})", () => Diagnostics(logs));
        return found!;
    }

    protected static JsonObject Subscription(string seedName, string seedType, JsonObject policy, string[]? rules = null, string? schedule = null)
    {
        var s = new JsonObject
        {
            ["seed_name"] = seedName,
            ["seed_type"] = seedType,
            ["rules"] = new JsonArray([.. (rules ?? []).Select(r => (JsonNode?)r)]),
            ["timezone"] = "Etc/UTC",
            ["policy"] = policy,
        };
        if (schedule is not null) s["schedule"] = schedule;
        return s;
    }

    protected static JsonObject PolicyRule(string[] actions, string[]? triggers = null, JsonObject? window = null, bool confirm = false)
    {
        var rule = new JsonObject { ["actions"] = new JsonArray([.. actions.Select(a => (JsonNode?)a)]) };
        if (triggers is not null) rule["triggers"] = new JsonArray([.. triggers.Select(t => (JsonNode?)t)]);
        if (window is not null) rule["window"] = window;
        if (confirm) rule["confirm"] = true;
        return rule;
    }

    protected static JsonObject Window(TimeOnly start, TimeOnly end) => new()
    {
        ["time_start"] = start.ToString("HH:mm"),
        ["time_end"] = end.ToString("HH:mm"),
        ["tz"] = "Etc/UTC",
    };

    protected static string Str(JsonNode? node, string key) =>
        (string?)node?[key] ?? throw new XunitException($"missing \"{key}\" in {node?.ToJsonString()}");

    protected static void AssertLog(JsonNode deployment, string text)
    {
        var logs = string.Join("\n", deployment["seeds"]!.AsArray().Select(s => (string?)s?["log"] ?? ""));
        Assert.True(logs.Contains(text, StringComparison.Ordinal), $"the deployment log does not contain \"{text}\":\n{logs}");
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try { _owned[i].Dispose(); }
            catch (Exception e) { output.WriteLine($"cleanup: {e.Message}"); }
        }
        World.Record(_name, _clock.Elapsed);
        output.WriteLine($"{_name}: {_clock.Elapsed.TotalSeconds:0.0}s (run directory {World.RunDir})");
        GC.SuppressFinalize(this);
    }
}
