using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class TrustTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_closure_signed_with_an_untrusted_key_is_never_activated_and_the_failure_names_the_signature()
    {
        const string scenario = "trust";
        var seed = SeedName(scenario);
        var (activator, garden, _) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["now"] = PolicyRule(["activate"], ["manual"]) }),
        });
        var path = Nix.PathOf("trust-bad");
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("trust-bad");

        var accepted = await Cli.JsonAsync("deploy", garden.Name, "system");
        var done = await WaitForStateAsync(Str(accepted, "deployment_sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);

        Assert.Equal("failure", Str(done, "result"));
        AssertLog(done, "is not signed by any of the keys");
        AssertLog(done, "realization failed for");
        Assert.Empty(Nix.Activations(scenario));
        Assert.Equal((null, null), activator.Profile());
        Assert.False(FakeNix.IsValid(path), "the untrusted closure entered the store");
    }
}
