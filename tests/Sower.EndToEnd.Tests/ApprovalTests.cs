using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class ApprovalTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_confirm_rule_parks_the_deployment_until_approved_and_a_rejected_one_never_activates()
    {
        const string scenario = "approval";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["careful"] = PolicyRule(["activate"], ["manual"], confirm: true) }),
        });
        var first = Nix.PathOf("appr-1");
        (await Cli.RunAsync("seed", "submit", first, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("appr-1");

        var accepted = await Cli.JsonAsync("deploy", garden.Name, "system");
        Assert.True((bool?)accepted["awaiting_approval"] == true, accepted.ToJsonString());
        var parked = Str(accepted, "deployment_sid");
        // The lists are a read model: it catches up with the accepted deployment shortly after the reply.
        await Wait.Until(async () =>
        {
            var waiting = (await Cli.JsonAsync("deployment", "list", "--garden", gardenSid, "--state", "awaiting_approval"))["deployments"]!.AsArray();
            return waiting.Count == 1 && Str(waiting[0], "sid") == parked;
        }, TimeSpan.FromSeconds(15), $"deployment {parked} to be listed as awaiting approval", () => Diagnostics(garden.Process));
        await Wait.Never(() => Task.FromResult(Nix.Activations(scenario).Length > 0), TimeSpan.FromSeconds(2), "an activation before approval",
            () => Diagnostics(garden.Process));

        (await Cli.JsonAsync("deployment", "approve", parked)).ToString();
        var done = await WaitForStateAsync(parked, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
        Assert.Contains(done["events"]!.AsArray(), e => (string?)e?["type"] == "approved");
        Assert.Equal([$"switch uid=0 path={first}"], Nix.Activations(scenario));

        var second = Nix.PathOf("appr-2");
        (await Cli.RunAsync("seed", "submit", second, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        var again = await Cli.JsonAsync("deploy", garden.Name, "system");
        Assert.True((bool?)again["awaiting_approval"] == true, again.ToJsonString());
        var rejected = await Cli.JsonAsync("deployment", "reject", Str(again, "deployment_sid"));
        Assert.Equal("canceled", Str(rejected, "state"));
        var detail = await Cli.DeploymentAsync(Str(again, "deployment_sid"));
        Assert.Contains(detail["events"]!.AsArray(), e => (string?)e?["type"] == "canceled" && (string?)e?["reason"] == "rejected");

        await Wait.Never(() => Task.FromResult(Nix.Activations(scenario).Length > 1), TimeSpan.FromSeconds(3), "an activation of the rejected seed",
            () => Diagnostics(garden.Process));
        Assert.Equal(("system-1-link", first), activator.Profile());
    }
}
