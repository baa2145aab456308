using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class HomeManagerTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_home_manager_generation_for_another_user_is_activated_as_that_user()
    {
        const string scenario = "home";
        var user = World.HomeUser;
        var (activator, garden, _) = await StartAsync(scenario, new JsonObject
        {
            ["home"] = Subscription(user, "home-manager", new JsonObject { ["now"] = PolicyRule(["activate"], ["manual"]) }, [$"username={user}"]),
        });
        var path = Nix.PathOf("hm-1");
        (await Cli.RunAsync("seed", "submit", path, "--name", user, "--type", "home-manager", "--tag", $"username={user}", "--no-git")).EnsureSuccess();
        Nix.Evict("hm-1");

        var accepted = await Cli.JsonAsync("deploy", garden.Name, "home");
        var done = await WaitForStateAsync(Str(accepted, "deployment_sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);

        Assert.Equal("success", Str(done, "result"));
        Assert.Equal([$"activate uid={World.HomeUserUid} path={path}"], Nix.HomeActivations(scenario));
        Assert.NotEqual(0, World.HomeUserUid);
    }
}
