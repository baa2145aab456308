using Akka.Actor;
using NodaTime;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

public sealed class DeploymentTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private const string D1 = "dply_aaaaaaaaaaaaaaaaaaaaaaa1";

    private IActorRef Connected(params Sower.Messages.Domain.SubscriptionSpec[] specs)
    {
        var host = StartHost(Config(specs.Length == 0 ? [Nixos()] : specs));
        AwaitConnectedAndSynced(specs.Length == 0 ? 1 : specs.Length);
        return host;
    }

    [Fact]
    public void A_permitted_deployment_stages_then_activates_and_reports_in_order()
    {
        Connected();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        var result = AwaitResult(D1);
        Assert.Equal("success", (string?)result["result"]);
        Assert.Equal("req_aaaaaaaaaaaaaaaaaaaaaaaa", (string?)result["request_id"]);
        var requests = Activator.Requests.ToList();
        Assert.Equal([ActivatorRequestTypes.Stage, ActivatorRequestTypes.NixOS], requests.Select(r => r.Type));
        Assert.Equal(SidOf("web"), requests[0].Gcroot);
        Assert.Equal("switch", requests[1].Mode);
        var seed = Assert.Single(SeedResults(D1));
        Assert.Equal("activate", (string?)seed["action"]);
        var log = (string)seed["log"]!;
        Assert.Contains("[garden] downloading web01 (nixos)", log);
        Assert.Contains("[garden] activating web01 (nixos) with mode: switch", log);
        Assert.False(log.Contains('\u001b', StringComparison.Ordinal), "ANSI escapes are stripped");
        Assert.Contains("working on stage", log);
        var order = Gateway.Calls.Select(c => c.Method).Where(m => m.StartsWith("deployment:", StringComparison.Ordinal) && m != GatewayProtocol.DeploymentRequest).ToList();
        Assert.Equal([GatewayProtocol.DeploymentStatus, GatewayProtocol.DeploymentSeedStatus, GatewayProtocol.DeploymentSeedStatus, GatewayProtocol.DeploymentSeedStatus, GatewayProtocol.DeploymentSeedResult, GatewayProtocol.DeploymentResult], order);
        Assert.Equal(["downloading", "activating", "completed"], Sent(GatewayProtocol.DeploymentSeedStatus).Select(s => (string)s["status"]!));
    }

    [Fact]
    public void A_trigger_the_local_policy_denies_skips_the_seed_without_touching_the_activator()
    {
        Connected(); // default policy: no realtime
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "realtime", "web"));
        Assert.Equal("skipped", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("not permitted by local policy", (string)Assert.Single(SeedResults(D1))["log"]!);
        Assert.Empty(Activator.Requests);
    }

    [Fact]
    public void Confirm_without_approval_is_refused_and_with_approval_runs()
    {
        Connected(Nixos(policyJson: """{"r":{"actions":["activate"],"confirm":true}}"""));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("skipped", (string?)AwaitResult(D1)["result"]);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa2", "manual", "web", approved: true));
        Assert.Equal("success", (string?)AwaitResult("dply_aaaaaaaaaaaaaaaaaaaaaaa2")["result"]);
    }

    [Fact]
    public void The_executed_action_is_capped_at_the_server_sent_action()
    {
        Connected();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "stage"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        var seed = Assert.Single(SeedResults(D1));
        Assert.Equal("stage", (string?)seed["action"]);
        Assert.Contains("staged web01 (nixos), activation not permitted", (string)seed["log"]!);
        Assert.Equal([ActivatorRequestTypes.Stage], Activator.Requests.Select(r => r.Type));
    }

    [Fact]
    public void A_stage_only_policy_never_activates()
    {
        Connected(Nixos(policyJson: """{"s":{"actions":["stage"]}}"""));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal("stage", (string?)Assert.Single(SeedResults(D1))["action"]);
        Assert.DoesNotContain(Activator.Requests, r => r.Type == ActivatorRequestTypes.NixOS);
    }

    [Fact]
    public void When_the_window_closes_while_downloading_nothing_is_activated()
    {
        Connected(Nixos(policyJson: """{"w":{"actions":["activate"],"window":{"time_start":"09:00","time_end":"10:30"}}}"""));
        Activator.Behaviour = r =>
        {
            if (r.Type == ActivatorRequestTypes.Stage) Clock.Advance(Duration.FromHours(1)); // 11:00: window closed
            return Task.FromResult(0);
        };
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("skipped", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("staged web01 (nixos), no action permitted at execution time", (string)Assert.Single(SeedResults(D1))["log"]!);
        Assert.DoesNotContain(Activator.Requests, r => r.Type == ActivatorRequestTypes.NixOS);
    }

    [Fact]
    public void A_failed_realisation_and_a_failed_activation_each_give_a_failure_result()
    {
        Connected();
        Activator.Behaviour = r => Task.FromResult(r.Type == ActivatorRequestTypes.Stage ? 1 : 0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("failure", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("realization failed for web01 (nixos)", (string)Assert.Single(SeedResults(D1))["log"]!);

        Activator.Behaviour = r => Task.FromResult(r.Type == ActivatorRequestTypes.NixOS ? 3 : 0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa2", "manual", "web"));
        Assert.Equal("failure", (string?)AwaitResult("dply_aaaaaaaaaaaaaaaaaaaaaaa2")["result"]);
        Assert.Contains("activator exited with code 3", (string)Assert.Single(SeedResults("dply_aaaaaaaaaaaaaaaaaaaaaaa2"))["log"]!);
    }

    [Fact]
    public void A_dropped_activator_connection_and_an_unsupported_type_still_give_results()
    {
        Connected(Nixos(), new Sower.Messages.Domain.SubscriptionSpec("mac", "mac", Sower.Messages.Domain.SeedType.NixDarwin, [], null, "Etc/UTC", Sower.Messages.Domain.Policy.Default));
        Activator.Behaviour = r => r.Type == ActivatorRequestTypes.NixOS ? throw new IOException("drop") : Task.FromResult(0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("failure", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("without a complete frame", (string)Assert.Single(SeedResults(D1))["log"]!);

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa2", "manual", "mac", type: "nix-darwin", seedSid: "seed_aaaaaaaaaaaaaaaaaaaaaaa2"));
        Assert.Equal("failure", (string?)AwaitResult("dply_aaaaaaaaaaaaaaaaaaaaaaa2")["result"]);
        Assert.Contains("activation of nix-darwin seeds is not supported", (string)Assert.Single(SeedResults("dply_aaaaaaaaaaaaaaaaaaaaaaa2"))["log"]!);
    }

    [Fact]
    public void A_missing_activator_is_a_seed_failure_with_the_fatal_line()
    {
        var config = Config(Nixos()) with { ActivatorSocket = Dir.File("no-such.sock") };
        StartHost(config);
        AwaitConnectedAndSynced();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("failure", (string?)AwaitResult(D1)["result"]);
        Assert.Contains(ActivatorClientActor.MissingExecutable, (string)Assert.Single(SeedResults(D1))["log"]!);
    }

    [Fact]
    public void A_replay_of_a_running_deployment_is_ignored_and_a_completed_one_is_answered_from_memory()
    {
        Connected();
        var release = new TaskCompletionSource<int>();
        Activator.Behaviour = r => r.Type == ActivatorRequestTypes.NixOS ? release.Task : Task.FromResult(0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitCondition(() => Activator.OfType(ActivatorRequestTypes.NixOS).Count == 1, TimeSpan.FromSeconds(10));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        release.SetResult(0);
        AwaitResult(D1);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitCondition(() => Sent(GatewayProtocol.DeploymentResult).Count == 2, TimeSpan.FromSeconds(10));
        Assert.Single(Activator.OfType(ActivatorRequestTypes.NixOS));
        Assert.Single(Activator.OfType(ActivatorRequestTypes.Stage));
        // Beyond the 2 h memory the deployment's own journal still knows it completed: its result is re-sent, nothing runs.
        Clock.Advance(Duration.FromHours(3));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitCondition(() => Sent(GatewayProtocol.DeploymentResult).Count == 3, TimeSpan.FromSeconds(10));
        Assert.Single(Activator.OfType(ActivatorRequestTypes.NixOS));
    }

    [Fact]
    public void Activations_of_the_same_profile_are_serialized()
    {
        Connected();
        var running = 0;
        var maxRunning = 0;
        Activator.Behaviour = async r =>
        {
            if (r.Type != ActivatorRequestTypes.NixOS) return 0;
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            await Task.Delay(300);
            Interlocked.Decrement(ref running);
            return 0;
        };
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa2", "manual", "web", seedSid: "seed_aaaaaaaaaaaaaaaaaaaaaaa2"));
        AwaitResult(D1);
        AwaitResult("dply_aaaaaaaaaaaaaaaaaaaaaaa2");
        Assert.Equal(2, Activator.OfType(ActivatorRequestTypes.NixOS).Count);
        Assert.Equal(1, maxRunning);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [Fact]
    public void After_a_deployment_the_profiles_are_reported_again()
    {
        Connected();
        var before = Gateway.CallsOf(GatewayProtocol.GardenSeedsReport).Count;
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitResult(D1);
        AwaitCondition(() => Gateway.CallsOf(GatewayProtocol.GardenSeedsReport).Count > before, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Output_is_streamed_while_a_seed_runs_and_the_result_carries_only_the_rest()
    {
        StartHost(Config(Nixos()) with { LogStreamInterval = TimeSpan.FromMilliseconds(200) });
        AwaitConnectedAndSynced();
        Activator.Behaviour = async r =>
        {
            if (r.Type == ActivatorRequestTypes.NixOS) await Task.Delay(1200);
            return 0;
        };
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        var results = SeedResults(D1);
        Assert.True(results.Length >= 2, "log-only chunks arrive before the result");
        Assert.Contains(results, r => r["result"] is null);
        Assert.Equal("success", (string?)results[^1]["result"]);
        var log = string.Concat(results.Select(r => (string)r["log"]!));
        Assert.Single(log.Split('\n'), l => l.EndsWith("[garden] downloading web01 (nixos)", StringComparison.Ordinal));
        Assert.Contains("[garden] activated web01 (nixos)", log);
    }

    [Fact]
    public void A_timed_out_activation_fails_its_seed_with_a_line_saying_so()
    {
        StartHost(Config(Nixos()) with { Timeouts = GardenTimeouts.Default with { Realise = TimeSpan.FromSeconds(5), Activation = TimeSpan.FromSeconds(1), ServerReply = TimeSpan.FromSeconds(3) } });
        AwaitConnectedAndSynced();
        Activator.Behaviour = async r =>
        {
            if (r.Type == ActivatorRequestTypes.NixOS) await Task.Delay(4000);
            return 0;
        };
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("failure", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("timed out after 1s", (string)Assert.Single(SeedResults(D1))["log"]!);
    }

    /// <summary>Builds store-like system trees and points the configured profile links at them.</summary>
    private void SystemTrees(string newKernel, bool currentIsNew)
    {
        string Tree(string name, string kernel)
        {
            var root = Dir.File("store/" + name);
            Directory.CreateDirectory(root);
            foreach (var (component, target) in new[] { ("kernel", kernel), ("initrd", "initrd-1"), ("kernel-modules", "modules-1") })
            {
                var blob = Dir.File("store/blobs/" + target);
                Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
                File.WriteAllText(blob, target);
                File.CreateSymbolicLink(Path.Combine(root, component), blob);
            }
            return root;
        }
        var booted = Tree("booted", "kernel-1");
        var next = Tree("next", newKernel);
        Directory.CreateDirectory(Dir.File("profiles"));
        Directory.CreateDirectory(Dir.File("run"));
        File.CreateSymbolicLink(Dir.File("profiles/system"), next);
        File.CreateSymbolicLink(Dir.File("run/booted-system"), booted);
        File.CreateSymbolicLink(Dir.File("run/current-system"), currentIsNew ? next : booted);
    }

    private const string RestartPolicy = """{"r":{"actions":["restart"]}}""";

    [Fact]
    public void A_restart_with_a_new_kernel_reports_the_result_first_and_then_asks_for_the_reboot()
    {
        SystemTrees("kernel-2", currentIsNew: false);
        Connected(Nixos(policyJson: RestartPolicy));
        var resultsWhenRebootAsked = -1;
        Activator.Behaviour = r =>
        {
            if (r.Type == ActivatorRequestTypes.Reboot) resultsWhenRebootAsked = Gateway.CallsOf(GatewayProtocol.DeploymentResult).Count;
            return Task.FromResult(0);
        };
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "restart"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        AwaitCondition(() => Activator.OfType(ActivatorRequestTypes.Reboot).Count == 1, TimeSpan.FromSeconds(10));
        Assert.Equal("boot", Activator.OfType(ActivatorRequestTypes.NixOS).Single().Mode);
        Assert.Equal("kernel_changed", Activator.OfType(ActivatorRequestTypes.Reboot).Single().Reason);
        Assert.Equal(1, resultsWhenRebootAsked);
        Assert.Contains(SeedResults(D1), r => r["result"] is null && ((string)r["log"]!).Contains("[garden] reboot initiated: kernel_changed", StringComparison.Ordinal));
        Assert.Equal("restart", (string?)SeedResults(D1).First(r => r["result"] is not null)["action"]);
    }

    [Fact]
    public void A_restart_with_the_same_boot_components_switches_live_without_a_reboot()
    {
        SystemTrees("kernel-1", currentIsNew: false);
        Connected(Nixos(policyJson: RestartPolicy));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "restart"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal(["boot", "switch"], Activator.OfType(ActivatorRequestTypes.NixOS).Select(r => r.Mode));
        Assert.EndsWith("/store/next", Activator.OfType(ActivatorRequestTypes.NixOS)[1].Path);
        Assert.Empty(Activator.OfType(ActivatorRequestTypes.Reboot));
        Assert.Contains(SeedResults(D1), r => ((string)r["log"]!).Contains("no reboot required; switching live", StringComparison.Ordinal));
    }

    [Fact]
    public void A_restart_whose_reboot_check_cannot_run_ends_as_warning_with_the_reason_and_never_reboots()
    {
        SystemTrees("kernel-2", currentIsNew: false);
        File.Delete(Dir.File("run/booted-system")); // as on a machine whose config names links nothing creates
        Connected(Nixos(policyJson: RestartPolicy));
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "restart"));
        Assert.Equal("warning", (string?)AwaitResult(D1)["result"]);
        Assert.Empty(Activator.OfType(ActivatorRequestTypes.Reboot));
        Assert.Contains(SeedResults(D1), r => ((string)r["log"]!).Contains("[garden] reboot check failed: ", StringComparison.Ordinal)
                                              && ((string)r["log"]!).Contains("ends as warning", StringComparison.Ordinal));
    }

    [Fact]
    public void Service_activations_always_send_the_complete_set_of_service_seeds()
    {
        var a = new Sower.Messages.Domain.SubscriptionSpec("svc-a", "svc-a", Sower.Messages.Domain.SeedType.Service, [], null, "Etc/UTC", Sower.Messages.Domain.Policy.Default);
        var b = a with { Name = "svc-b", SeedName = "svc-b" };
        Connected(a, b);
        const string PathA = "/nix/store/0000000000000000000000000000000a-svc-a";
        const string PathB = "/nix/store/0000000000000000000000000000000b-svc-b";
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "svc-a", type: "service", artifact: PathA));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa2", "manual", "svc-b", type: "service", artifact: PathB, seedSid: "seed_aaaaaaaaaaaaaaaaaaaaaaa2"));
        Assert.Equal("success", (string?)AwaitResult("dply_aaaaaaaaaaaaaaaaaaaaaaa2")["result"]);
        var requests = Activator.OfType(ActivatorRequestTypes.Services);
        Assert.Equal([PathA], requests[0].Seeds!.Select(s => s.Path));
        Assert.Equal([PathA, PathB], requests[1].Seeds!.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.Equal(2, Store.Current.Services.Count);
    }

    [Fact]
    public async Task Draining_accepts_no_new_deployment_and_waits_for_the_running_activation()
    {
        var host = Connected();
        var release = new TaskCompletionSource<int>();
        Activator.Behaviour = r => r.Type == ActivatorRequestTypes.NixOS ? release.Task : Task.FromResult(0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitCondition(() => Activator.OfType(ActivatorRequestTypes.NixOS).Count == 1, TimeSpan.FromSeconds(10));
        var drained = host.Ask<GardenDaemonCommands.Drained>(new GardenDaemonCommands.Drain(), TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        Assert.False(drained.IsCompleted);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa2", "manual", "web", seedSid: "seed_aaaaaaaaaaaaaaaaaaaaaaa2"));
        release.SetResult(0);
        await drained;
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        await Task.Delay(300);
        Assert.Single(Activator.OfType(ActivatorRequestTypes.Stage)); // the push during the drain was not started
    }
}
