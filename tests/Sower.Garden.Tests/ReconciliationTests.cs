using System.Text.Json.Nodes;
using Akka.Actor;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>
/// A garden stopped while the activator works on a seed never activates it again after its restart: it reads the outcome
/// back from the profile (REFERENCE §5.10, §7.6), watching it for a bounded time because the activator carries on alone.
/// </summary>
public sealed class ReconciliationTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private const string D1 = "dply_aaaaaaaaaaaaaaaaaaaaaaa1";
    private const string Artifact = "/nix/store/00000000000000000000000000000000-nixos-system-web01";
    private const string Other = "/nix/store/11111111111111111111111111111111-nixos-system-web01";
    private const string HomeArtifact = "/nix/store/22222222222222222222222222222222-home-manager-generation";

    /// <summary>What <c>nix-env --profile P --set X</c> leaves behind: <c>P-N-link</c> → X and P → <c>P-N-link</c>.</summary>
    private static void SetProfile(string profile, int generation, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(profile)!);
        var link = $"{profile}-{generation}-link";
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
        File.CreateSymbolicLink(link, target);
        if (new FileInfo(profile).LinkTarget is not null) File.Delete(profile);
        File.CreateSymbolicLink(profile, Path.GetFileName(link));
    }

    private string SystemProfile => Dir.File("profiles/system");

    /// <summary>Starts a deployment whose activation never answers, then stops the garden in the middle of it.</summary>
    private (TaskCompletionSource<int> Never, GardenConfig Config) StopMidActivation(GardenConfig config, string subscription = "web",
        string type = "nixos", string artifact = Artifact)
    {
        var host = StartHost(config);
        AwaitConnectedAndSynced(config.Subscriptions.Length);
        // Kept in a captured variable: an unreferenced never-completed task lets the GC finalize the fake's socket.
        var never = new TaskCompletionSource<int>();
        Activator.Behaviour = r => r.Type is ActivatorRequestTypes.NixOS or ActivatorRequestTypes.HomeManager or ActivatorRequestTypes.Services ? never.Task : Task.FromResult(0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", subscription, type: type, artifact: artifact));
        AwaitCondition(() => Activator.Requests.Any(r => r.Type != ActivatorRequestTypes.Stage), TimeSpan.FromSeconds(10));
        Watch(host);
        Sys.Stop(host);
        ExpectTerminated(host);
        return (never, config);
    }

    private string SeedLog() => string.Join("\n---\n", SeedResults(D1).Select(r => (string?)r["log"]));

    private int Activations => Activator.Requests.Count(r => r.Type is not (ActivatorRequestTypes.Stage or ActivatorRequestTypes.RollbackStatus or ActivatorRequestTypes.Confirm));

    private static ActivatorFrame StatusLine(string id, string state, string reason) =>
        ActivatorFrame.Output(id, new JsonObject { ["deadline"] = D1 + ".system", ["deployment"] = D1, ["state"] = state, ["reason"] = reason }.ToJsonString());

    [Fact]
    public void After_a_restart_a_rollback_the_activator_already_made_ends_the_deployment_rolled_back_with_its_reason()
    {
        SetProfile(SystemProfile, 1, Other);
        var (never, config) = StopMidActivation(RollbackConfig(30, Nixos()));
        Activator.ExtraFrames = r => r.Type == ActivatorRequestTypes.RollbackStatus
            ? [StatusLine(r.Id, "rolled_back", "no confirmation from the garden within 30s of switching to " + Artifact)]
            : [];
        StartHost(config, name: "garden-again");
        Assert.Equal("rolled_back", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("rolled back by the activator: no confirmation from the garden within 30s", SeedLog());
        Assert.Equal("failure", (string?)SeedResults(D1).Last(r => r["result"] is not null)["result"]);
        Assert.Equal(1, Activations);
        GC.KeepAlive(never);
    }

    [Fact]
    public void After_a_restart_a_switch_whose_deadline_is_still_armed_is_reconciled_then_confirmed()
    {
        SetProfile(SystemProfile, 1, Other);
        var (never, config) = StopMidActivation(RollbackConfig(30, Nixos()));
        SetProfile(SystemProfile, 2, Artifact);
        Activator.ExtraFrames = r => r.Type == ActivatorRequestTypes.RollbackStatus ? [StatusLine(r.Id, "armed", "")] : [];
        StartHost(config, name: "garden-again");
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal(D1, Assert.Single(Activator.OfType(ActivatorRequestTypes.Confirm)).Deployment);
        Assert.Equal(1, Activations);
        GC.KeepAlive(never);
    }

    [Fact]
    public void An_activation_that_completed_while_the_garden_was_down_is_reconciled_as_success_from_the_system_profile()
    {
        SetProfile(SystemProfile, 1, Other);
        var (never, config) = StopMidActivation(Config(Nixos()));
        SetProfile(SystemProfile, 2, Artifact); // the activator finished alone
        StartHost(config, name: "garden-again");
        var result = AwaitResult(D1);
        Assert.Equal("success", (string?)result["result"]);
        var seed = SeedResults(D1).Last(r => r["result"] is not null);
        Assert.Equal("activate", (string?)seed["action"]);
        Assert.Contains($"was interrupted by a garden restart; reconciled from the profile: the profile {SystemProfile} (system-2-link) points at {Artifact}", SeedLog());
        Assert.Equal(1, Activations);
        GC.KeepAlive(never);
    }

    [Fact]
    public void While_the_activator_is_still_running_the_garden_waits_for_the_profile_to_change()
    {
        SetProfile(SystemProfile, 1, Other);
        var (never, config) = StopMidActivation(Config(Nixos()) with { Timeouts = Config().Timeouts with { Reconcile = TimeSpan.FromSeconds(20) } });
        StartHost(config, name: "garden-again");
        AwaitCondition(() => Gateway.CallsOf(GatewayProtocol.SubscriptionsSync).Count >= 2, TimeSpan.FromSeconds(10));
        Thread.Sleep(1500);
        Assert.Empty(Sent(GatewayProtocol.DeploymentResult));
        SetProfile(SystemProfile, 2, Artifact);
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal(1, Activations);
        GC.KeepAlive(never);
    }

    [Fact]
    public void An_activation_that_never_took_effect_fails_naming_what_the_profile_points_at_and_is_not_repeated()
    {
        SetProfile(SystemProfile, 1, Other);
        var (never, config) = StopMidActivation(Config(Nixos()) with { Timeouts = Config().Timeouts with { Reconcile = TimeSpan.FromSeconds(2) } });
        StartHost(config, name: "garden-again");
        Assert.Equal("failure", (string?)AwaitResult(D1)["result"]);
        Assert.Contains($"did not take effect within 2s: system profile {SystemProfile} points at {Other}, not the seed's artifact {Artifact}; it is not repeated", SeedLog());
        Assert.Equal(1, Activations);
        GC.KeepAlive(never);
    }

    [Fact]
    public void A_switch_whose_running_system_is_another_one_is_not_counted_as_done()
    {
        SetProfile(SystemProfile, 1, Other);
        Directory.CreateDirectory(Dir.File("run"));
        File.CreateSymbolicLink(Dir.File("run/current-system"), Other);
        var (never, config) = StopMidActivation(Config(Nixos()) with { Timeouts = Config().Timeouts with { Reconcile = TimeSpan.FromSeconds(2) } });
        SetProfile(SystemProfile, 2, Artifact); // nix-env --set ran, switch-to-configuration did not finish
        StartHost(config, name: "garden-again");
        Assert.Equal("failure", (string?)AwaitResult(D1)["result"]);
        Assert.Contains($"but {Dir.File("run/current-system")} points at {Other}: switch-to-configuration switch did not complete", SeedLog());
        GC.KeepAlive(never);
    }

    [Fact]
    public void A_home_manager_activation_is_reconciled_from_the_target_users_profile()
    {
        var hm = new SubscriptionSpec("home", "home", SeedType.HomeManager, [], null, "Etc/UTC", Policy.Default);
        var (never, config) = StopMidActivation(Config(hm), "home", "home-manager", HomeArtifact);
        // Config's home override: <home>/.local/state/nix/profiles/home-manager, as Home-Manager's activate leaves it.
        SetProfile(Dir.File("home/.local/state/nix/profiles/home-manager"), 1, HomeArtifact);
        StartHost(config, name: "garden-again");
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("reconciled from the profile", SeedLog());
        Assert.Single(Activator.OfType(ActivatorRequestTypes.HomeManager));
        GC.KeepAlive(never);
    }

    [Fact]
    public void A_live_switch_interrupted_by_a_restart_is_read_back_from_the_running_system_and_not_repeated()
    {
        // Same kernel, initrd and modules, new system not running: the reboot decision switches live (§5.12 step 4).
        string Tree(string name)
        {
            var root = Dir.File("store/" + name);
            Directory.CreateDirectory(root);
            foreach (var component in new[] { "kernel", "initrd", "kernel-modules" })
            {
                var blob = Dir.Write("store/blobs/" + component, component);
                File.CreateSymbolicLink(Path.Combine(root, component), blob);
            }
            return root;
        }
        var booted = Tree("booted");
        var next = Tree("next");
        Directory.CreateDirectory(Dir.File("run"));
        SetProfile(SystemProfile, 1, next);
        File.CreateSymbolicLink(Dir.File("run/booted-system"), booted);
        File.CreateSymbolicLink(Dir.File("run/current-system"), booted);
        var config = Config(Nixos(policyJson: """{"r":{"actions":["restart"]}}"""));
        var host = StartHost(config);
        AwaitConnectedAndSynced();
        var never = new TaskCompletionSource<int>();
        Activator.Behaviour = r => r.Type == ActivatorRequestTypes.NixOS && r.Mode == "switch" ? never.Task : Task.FromResult(0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "restart"));
        AwaitCondition(() => Activator.OfType(ActivatorRequestTypes.NixOS).Count == 2, TimeSpan.FromSeconds(10));
        Watch(host);
        Sys.Stop(host);
        ExpectTerminated(host);
        // The orphaned switch-to-configuration finishes: the new system runs.
        File.Delete(Dir.File("run/current-system"));
        File.CreateSymbolicLink(Dir.File("run/current-system"), next);
        StartHost(config, name: "garden-again");
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Contains($"live switch to {next} was interrupted by a garden restart; reconciled from {Dir.File("run/current-system")}, which runs it", SeedLog());
        Assert.Equal(["boot", "switch"], Activator.OfType(ActivatorRequestTypes.NixOS).Select(r => r.Mode));
        Assert.Empty(Activator.OfType(ActivatorRequestTypes.Reboot));
        GC.KeepAlive(never);
    }

    [Fact]
    public void A_gcroot_seed_whose_named_profile_already_selects_it_is_not_set_again()
    {
        var pin = Nixos("pin", policyJson: """{"s":{"actions":["stage"]}}""") with { SeedType = SeedType.GcRoot };
        var config = Config(pin) with { Profiles = Config().Profiles with { SowerProfiles = Dir.File("sower") } };
        StartHost(config);
        AwaitConnectedAndSynced();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "pin", action: "stage", type: "gcroot", artifact: Artifact));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal([ActivatorRequestTypes.Stage, ActivatorRequestTypes.Profile], Activator.Requests.Select(r => r.Type));
        Assert.Equal("web01", Activator.OfType(ActivatorRequestTypes.Profile).Single().Profile);

        SetProfile(Dir.File("sower/web01"), 1, Artifact); // what the activator's nix-env --set left behind
        const string D2 = "dply_aaaaaaaaaaaaaaaaaaaaaaa2";
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D2, "manual", "pin", action: "stage", type: "gcroot", artifact: Artifact, seedSid: "seed_aaaaaaaaaaaaaaaaaaaaaaa2"));
        Assert.Equal("success", (string?)AwaitResult(D2)["result"]);
        Assert.Single(Activator.OfType(ActivatorRequestTypes.Profile));
        Assert.Contains($"(web01-1-link) points at {Artifact} already", string.Concat(SeedResults(D2).Select(r => (string?)r["log"])));
    }

    [Fact]
    public void A_services_activation_is_reconciled_from_the_activators_current_unit_bundle()
    {
        const string ServiceArtifact = "/nix/store/33333333333333333333333333333333-svc";
        var svc = new SubscriptionSpec("svc", "svc", SeedType.Service, [], null, "Etc/UTC", Policy.Default);
        var state = Dir.File("services");
        var (never, config) = StopMidActivation(Config(svc) with { Profiles = Config().Profiles with { ServicesState = state } }, "svc", "service", ServiceArtifact);
        // What the activator leaves behind once sd-switch succeeded: current → the bundle named after the complete set.
        var id = Sower.Messages.Activator.ServiceBundle.Id([ServiceArtifact]);
        Directory.CreateDirectory(Path.Combine(state, id));
        File.CreateSymbolicLink(Path.Combine(state, "current"), id);
        StartHost(config, name: "garden-again");
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Contains($"reconciled from the profile: the services bundle {state}/current is {id}", SeedLog());
        Assert.Equal(ServiceArtifact, Store.Current.Services[SidOf("svc")].Path);
        Assert.Single(Activator.OfType(ActivatorRequestTypes.Services));
        GC.KeepAlive(never);
    }

    [Fact]
    public void The_reconciler_names_what_it_found_for_each_kind_of_seed()
    {
        var roots = Config().Profiles;
        var nixos = new GardenSeed("seed_a", "web01", "nixos", Artifact, []);
        var missing = ActivationReconciler.Check(nixos, PolicyAction.Activate, "root", roots);
        Assert.Equal(ReconcileVerdict.NotApplied, missing.Verdict);
        Assert.Contains("points at nothing", missing.Text);

        SetProfile(SystemProfile, 4, Artifact);
        var boot = ActivationReconciler.Check(nixos, PolicyAction.Restart, "root", roots);
        Assert.Equal(ReconcileVerdict.Applied, boot.Verdict);
        Assert.Contains("(system-4-link)", boot.Text);

        var hm = ActivationReconciler.Check(new GardenSeed("seed_b", "home", "home-manager", HomeArtifact, []), PolicyAction.Activate, "nobody-here", roots with { HomeOverride = null, PerUserProfiles = Dir.File("none") });
        Assert.Equal(ReconcileVerdict.NotApplied, hm.Verdict);
        Assert.Contains("no Home-Manager profile found for nobody-here", hm.Text);

        var serviceSeed = new GardenSeed("seed_c", "svc", "service", Artifact, []);
        Assert.Equal(ReconcileVerdict.Unknown, ActivationReconciler.Check(serviceSeed, PolicyAction.Activate, "root", roots).Verdict);
        var notYet = ActivationReconciler.Check(serviceSeed, PolicyAction.Activate, "root", roots with { ServicesState = Dir.File("no-services-yet") }, [Artifact, Other]);
        Assert.Equal(ReconcileVerdict.NotApplied, notYet.Verdict);
        Assert.Contains("current is not there, not " + Sower.Messages.Activator.ServiceBundle.Id([Other, Artifact]), notYet.Text);
    }
}
