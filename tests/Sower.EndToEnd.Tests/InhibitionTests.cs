using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// Inhibition on the real garden (issue 14.4): while the host's inhibit file exists, or while its inhibit command exits
/// non-zero, a realtime seed is staged (the closure fetched and pinned) but not activated; the deployment log and the
/// server say why; once the inhibition ends the deployment completes by itself, and the server no longer lists it.
/// </summary>
public sealed class InhibitionTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task An_inhibited_garden_stages_waits_and_reports_why_then_completes_by_itself_when_the_file_is_removed_or_the_command_succeeds()
    {
        const string scenario = "inhibit";
        var seed = SeedName(scenario);
        var dir = Path.Combine(World.RunDir, "inhibit");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        var inhibitFile = Path.Combine(dir, "inhibit");
        var failover = Path.Combine(dir, "db-failover"); // the inhibit command says "not now" while this exists
        File.WriteAllText(inhibitFile, "maintenance\n");
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime"]) }),
        }, gardenConfig: new JsonObject
        {
            ["inhibit_file"] = inhibitFile,
            ["inhibit_command"] = new JsonArray("/usr/bin/test", "!", "-e", failover),
            ["inhibit_poll_seconds"] = 0.5,
        });
        string Diag() => Diagnostics(garden.Process, activator.Process);

        // The file: the server lists the garden as inhibited, with the reason.
        var fileReason = $"inhibit file {inhibitFile} exists";
        await Wait.Until(async () => InhibitedReason(await Cli.JsonAsync("reboot-lock", "list"), gardenSid)?.Contains(fileReason, StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(30), "the server to list the garden as inhibited by its file", Diag);
        var first = Nix.PathOf("inh-1");
        (await Cli.RunAsync("seed", "submit", first, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.EvictUnlessFetched("inh-1");
        var sid = Str(await WaitForDeploymentAsync(gardenSid, d => (string?)d["trigger"] == "realtime", "the realtime deployment", TimeSpan.FromSeconds(60),
            garden.Process), "sid");
        var deferred = $"deferred: {fileReason}; waiting for the inhibition to end";
        await Wait.Until(async () => LogOf(await Cli.DeploymentAsync(sid)).Contains(deferred, StringComparison.Ordinal), TimeSpan.FromSeconds(90),
            $"\"{deferred}\" in the deployment log", Diag);
        // Staged (fetched from the cache into the store and pinned) but not activated.
        Assert.True(FakeNix.IsValid(first), "the inhibited garden did not stage the seed");
        await Wait.Never(() => Task.FromResult(Nix.Started(scenario).Length > 0), TimeSpan.FromSeconds(2), "an activation while inhibited", Diag);
        Assert.NotEqual("completed", Str(await Cli.DeploymentAsync(sid), "state"));
        var listed = await Cli.RunAsync("reboot-lock", "list");
        Assert.Contains(garden.Name, listed.EnsureSuccess().Stdout);
        Assert.Contains(fileReason, listed.Stdout);

        File.Delete(inhibitFile);
        var done = await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(90), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
        Assert.Equal([$"switch uid=0 path={first}"], Nix.Activations(scenario));
        await Wait.Until(async () => InhibitedReason(await Cli.JsonAsync("reboot-lock", "list"), gardenSid) is null, TimeSpan.FromSeconds(30),
            "the server to drop the garden from the inhibited list", Diag);

        // The command: it exits non-zero while a failover runs; the next seed waits for it the same way.
        File.WriteAllText(failover, "");
        await Wait.Until(async () => InhibitedReason(await Cli.JsonAsync("reboot-lock", "list"), gardenSid)?.Contains("/usr/bin/test", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(30), "the server to list the garden as inhibited by its command", Diag);
        var second = Nix.PathOf("inh-2");
        (await Cli.RunAsync("seed", "submit", second, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        var sid2 = Str(await WaitForDeploymentAsync(gardenSid, d => (string?)d["trigger"] == "realtime" && (string?)d["sid"] != sid,
            "the second realtime deployment", TimeSpan.FromSeconds(60), garden.Process), "sid");
        await Wait.Until(async () => LogOf(await Cli.DeploymentAsync(sid2)).Contains("deferred: inhibit command", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), "the command's deferral in the deployment log", Diag);
        Assert.Single(Nix.Activations(scenario));

        File.Delete(failover);
        var done2 = await WaitForStateAsync(sid2, "completed", TimeSpan.FromSeconds(90), garden.Process, activator.Process);
        Assert.Equal("success", Str(done2, "result"));
        Assert.Equal([$"switch uid=0 path={first}", $"switch uid=0 path={second}"], Nix.Activations(scenario));
        await Wait.Until(async () => InhibitedReason(await Cli.JsonAsync("reboot-lock", "list"), gardenSid) is null, TimeSpan.FromSeconds(30),
            "the server to drop the garden from the inhibited list again", Diag);
    }

    private static string? InhibitedReason(JsonNode report, string gardenSid) =>
        report["inhibited"]!.AsArray().FirstOrDefault(i => (string?)i?["garden_sid"] == gardenSid) is { } entry ? (string?)entry["reason"] : null;

    private static string LogOf(JsonNode deployment) =>
        string.Join("\n", deployment["seeds"]!.AsArray().Select(s => (string?)s?["log"] ?? ""));
}
