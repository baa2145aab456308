using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class FaultTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    private static JsonObject Manual(string seed) => new()
    {
        ["system"] = Subscription(seed, "nixos", new JsonObject { ["now"] = PolicyRule(["activate"], ["manual"]) }),
    };

    [Fact]
    public async Task Killing_the_server_mid_rollout_and_starting_it_again_completes_the_deployment_exactly_once()
    {
        const string scenario = "fault-server";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, Manual(seed));
        var path = Nix.PathOf("fs-1");
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("fs-1");

        var sid = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        await Wait.Until(() => Nix.Started(scenario).Length > 0, TimeSpan.FromSeconds(30), "switch-to-configuration to start",
            () => Diagnostics(garden.Process, activator.Process));
        World.Server.Kill9();
        await World.Server.StartAsync();

        var done = await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Single(Nix.Started(scenario));
        Assert.Single(await Cli.DeploymentsAsync(gardenSid));
        Assert.Equal(("system-1-link", path), activator.Profile());
    }

    [Fact]
    public async Task Killing_the_garden_mid_activation_and_starting_it_again_reconciles_success_from_the_profile_without_a_second_activation()
    {
        const string scenario = "fault-garden";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, Manual(seed));
        var path = Nix.PathOf("fg-1");
        // As on NixOS, the host runs some system before the switch: the garden must see current-system change to the seed.
        var before = Directory.CreateDirectory(Path.Combine(World.RunDir, "systems", "fault-garden-before")).FullName;
        var currentSystem = Path.Combine(Nix.RecordsDir(scenario), "current-system");
        File.CreateSymbolicLink(currentSystem, before);
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("fg-1");

        var sid = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        await Wait.Until(() => Nix.Started(scenario).Length > 0, TimeSpan.FromSeconds(30), "switch-to-configuration to start",
            () => Diagnostics(garden.Process, activator.Process));
        garden.Kill9();
        // The activator is not the garden's child: the switch runs to its end without it (it sleeps 3 s). The garden is
        // back before that, so it has to watch the profile and the running system until the orphaned switch is done.
        await garden.StartAsync();

        var done = await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        // The restarted garden never runs the switch again: it reads the outcome back from the system profile and the
        // running system the orphaned switch left behind.
        Assert.Equal("success", Str(done, "result"));
        AssertLog(done, "was interrupted by a garden restart; reconciled from the profile");
        AssertLog(done, $"points at {path} and {currentSystem} runs it");
        Assert.Equal("activate", Str(done["seeds"]![0], "executed_action"));
        await Wait.Never(() => Task.FromResult(Nix.Started(scenario).Length > 1), TimeSpan.FromSeconds(3), "a second activation",
            () => Diagnostics(garden.Process, activator.Process));
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Single(await Cli.DeploymentsAsync(gardenSid));
    }

    [Fact]
    public async Task With_the_activator_socket_stopped_the_deployment_fails_cleanly_and_a_retry_succeeds_once_it_is_back()
    {
        const string scenario = "fault-activator";
        var seed = SeedName(scenario);
        var (activator, garden, _) = await StartAsync(scenario, Manual(seed));
        var path = Nix.PathOf("fa-1");
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("fa-1");
        activator.StopSocket();

        var failed = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        var first = await WaitForStateAsync(failed, "completed", TimeSpan.FromSeconds(120), garden.Process);
        Assert.Equal("failure", Str(first, "result"));
        AssertLog(first, "activator transport error");
        AssertLog(first, "realization failed for");
        Assert.Empty(Nix.Activations(scenario));

        await activator.StartAsync();
        var retry = Str(await Cli.JsonAsync("deployment", "retry", failed), "deployment_sid");
        var done = await WaitForStateAsync(retry, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
    }

    [Fact]
    public async Task A_garden_cut_off_from_the_server_while_two_seeds_arrive_converges_to_the_newest_only()
    {
        const string scenario = "fault-offline";
        var seed = SeedName(scenario);
        using var proxy = new TcpProxy(World.Server.Port);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime", "poll_on_connect"]) }),
        }, endpoint: $"http://127.0.0.1:{proxy.Port}");

        proxy.Cut();
        await Wait.Until(async () => (bool?)(await Cli.JsonAsync("garden", "show", gardenSid))["online"] == false, TimeSpan.FromSeconds(30),
            "the server to see the garden offline", () => Diagnostics(garden.Process));
        var syncs = garden.SyncCount;
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("fo-1"), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("fo-2"), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("fo-1");
        Nix.Evict("fo-2");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(Nix.Activations(scenario));

        proxy.Restore();
        await garden.WaitSyncedAsync(syncs);
        var newest = Nix.PathOf("fo-2");
        await Wait.Until(() => Nix.Activations(scenario).Length > 0, TimeSpan.FromSeconds(60), "the garden to activate after reconnecting",
            () => Diagnostics(garden.Process, activator.Process));
        await Wait.Until(async () => (await Cli.DeploymentsAsync(gardenSid)).All(d => (string?)d?["state"] is "completed" or "canceled"),
            TimeSpan.FromSeconds(30), "every deployment of the garden to settle", () => Diagnostics(garden.Process, activator.Process));
        await Wait.Never(() => Task.FromResult(Nix.Activations(scenario).Length > 1), TimeSpan.FromSeconds(2), "a second activation",
            () => Diagnostics(garden.Process, activator.Process));

        Assert.Equal([$"switch uid=0 path={newest}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", newest), activator.Profile());
        Assert.False(FakeNix.IsValid(Nix.PathOf("fo-1")), "the superseded seed was fetched");
    }
}
