using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>
/// The garden's half of magic rollback, against the fake activator on a real Unix socket: the switch asks for a deadline, the
/// deployment confirms only over a connection made after the switch, and a deadline that fired ends it rolled_back.
/// </summary>
public sealed class MagicRollbackTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private const string D1 = "dply_aaaaaaaaaaaaaaaaaaaaaaa1";

    private void Connected(int confirmTimeout = 30)
    {
        StartHost(RollbackConfig(confirmTimeout, Nixos()));
        AwaitConnectedAndSynced();
    }

    [Fact]
    public void A_switch_asks_for_a_deadline_and_is_confirmed_only_over_a_new_connection_made_after_it()
    {
        var connectsAtSwitch = -1;
        var connectsAtConfirm = -1;
        Activator.Behaviour = r =>
        {
            if (r.Type == ActivatorRequestTypes.NixOS) connectsAtSwitch = Gateway.Connects;
            if (r.Type == ActivatorRequestTypes.Confirm) connectsAtConfirm = Gateway.Connects;
            return Task.FromResult(0);
        };
        Connected();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));

        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        var requests = Activator.Requests.ToList();
        Assert.Equal([ActivatorRequestTypes.Stage, ActivatorRequestTypes.NixOS, ActivatorRequestTypes.Confirm], requests.Select(r => r.Type));
        Assert.Equal((30, D1), (requests[1].ConfirmTimeout!.Value, requests[1].Deployment!));
        Assert.Equal(D1, requests[2].Deployment);
        Assert.True(connectsAtConfirm > connectsAtSwitch, $"confirmed over connection {connectsAtConfirm}, the switch happened on {connectsAtSwitch}");
        var log = string.Concat(SeedResults(D1).Select(s => (string?)s["log"]));
        Assert.Contains("rollback deadline: the activator rolls back unless this garden reaches the server within 30s after the switch", log);
        Assert.Contains("confirmed: this garden reached the server after the switch", log);
    }

    [Fact]
    public void While_the_server_cannot_be_reached_after_the_switch_nothing_is_confirmed()
    {
        Activator.Behaviour = r =>
        {
            if (r.Type == ActivatorRequestTypes.NixOS) Gateway.GoOffline(); // the switch broke the network
            return Task.FromResult(0);
        };
        Connected();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitCondition(() => Activator.OfType(ActivatorRequestTypes.NixOS).Count == 1, TimeSpan.FromSeconds(10));
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Empty(Activator.OfType(ActivatorRequestTypes.Confirm));

        Gateway.Online = true;
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Single(Activator.OfType(ActivatorRequestTypes.Confirm));
    }

    [Fact]
    public void A_deadline_that_already_fired_ends_the_deployment_rolled_back_with_the_activators_reason()
    {
        Activator.Behaviour = r => Task.FromResult(r.Type == ActivatorRequestTypes.Confirm ? ActivatorExitCodes.RolledBack : 0);
        Activator.ExtraFrames = r => r.Type == ActivatorRequestTypes.Confirm
            ? [ActivatorFrame.Error(r.Id, "rolled back: no confirmation from the garden within 30s of switching to /nix/store/x; rolled back to /nix/store/y")]
            : [];
        Connected();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));

        Assert.Equal("rolled_back", (string?)AwaitResult(D1)["result"]);
        var seeds = SeedResults(D1);
        Assert.Contains(seeds, s => (string?)s["result"] == "failure"
            && ((string?)s["log"])!.Contains("rolled back by the activator: no confirmation from the garden within 30s", StringComparison.Ordinal));
    }

    [Fact]
    public void A_confirm_timeout_of_zero_asks_for_no_deadline_and_sends_no_confirm()
    {
        Connected(confirmTimeout: 0);
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Null(Activator.OfType(ActivatorRequestTypes.NixOS).Single().ConfirmTimeout);
        Assert.Empty(Activator.OfType(ActivatorRequestTypes.Confirm));
    }

    [Fact]
    public void No_deadline_at_the_activator_still_completes_the_deployment()
    {
        Activator.Behaviour = r => Task.FromResult(r.Type == ActivatorRequestTypes.Confirm ? ActivatorExitCodes.Refused : 0);
        Activator.ExtraFrames = r => r.Type == ActivatorRequestTypes.Confirm ? [ActivatorFrame.Error(r.Id, "no rollback deadline for deployment " + D1)] : [];
        Connected();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Contains("confirmation not recorded by the activator: no rollback deadline", string.Concat(SeedResults(D1).Select(s => (string?)s["log"])));
    }

    [Fact]
    public void Confirm_timeouts_are_read_per_subscription_and_garden_wide_and_bad_values_are_reported()
    {
        using var dir = new TempDir();
        var env = new ConfigEnvironment(_ => null, false, "/home/alice", "alice", "web01", "Etc/UTC");
        var ok = GardenConfigLoader.Load(dir.Write("c.json", """
            {"endpoint":"https://x","access_token":"t","confirm_timeout":60,
             "subscriptions":{"web":{"seed_type":"nixos","confirm_timeout":0},"other":{"seed_type":"nixos"}}}
            """), env, hasStoredCredential: true);
        Assert.True(ok.Ok, string.Join("; ", ok.Problems));
        Assert.Equal(0, ok.Config!.ConfirmTimeoutFor("web"));
        Assert.Equal(60, ok.Config.ConfirmTimeoutFor("other"));
        Assert.Equal(2, ok.Config.Subscriptions.Length);

        var bad = GardenConfigLoader.Load(dir.Write("b.json", """
            {"endpoint":"https://x","access_token":"t","confirm_timeout":-1,"subscriptions":{"web":{"seed_type":"nixos","confirm_timeout":"2m"}}}
            """), env, hasStoredCredential: true);
        Assert.Equal(["confirm_timeout", "subscriptions.web.confirm_timeout"], bad.Problems.Select(p => p.Path).Order());
    }
}
