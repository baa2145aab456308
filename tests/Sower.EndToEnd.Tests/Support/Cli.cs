using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>The real <c>sower</c> CLI against the run's server, authenticated with the admin token file.</summary>
public sealed class Cli(World world)
{
    public Task<Shell.Result> RunAsync(params string[] args) => RunAsync(TimeSpan.FromSeconds(60), args);

    public Task<Shell.Result> RunAsync(TimeSpan limit, params string[] args) =>
        Shell.RunAsync(world.Binaries.Cli, args, new Dictionary<string, string>
        {
            ["SOWER_ENDPOINT"] = world.Server.Url,
            ["SOWER_ACCESS_TOKEN_FILE"] = world.Server.AdminTokenFile,
            ["SOWER_ACCESS_TOKEN"] = "",
            ["SOWER_CONFIG_FILE"] = Path.Combine(world.RunDir, "no-client.json"),
        }, limit + TimeSpan.FromSeconds(10));

    /// <summary>Runs a command with <c>--json</c> that must succeed, and parses its stdout.</summary>
    public async Task<JsonNode> JsonAsync(params string[] args)
    {
        var r = await RunAsync([.. args, "--json"]);
        if (r.ExitCode != 0) throw new XunitException($"sower {string.Join(' ', args)} failed:\n{r}\n{world.Diagnostics()}");
        try
        {
            return JsonNode.Parse(r.Stdout) ?? throw new XunitException($"sower {string.Join(' ', args)} printed null");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new XunitException($"sower {string.Join(' ', args)} did not print JSON ({e.Message}):\n{r}");
        }
    }

    /// <summary>Every deployment of a garden (newest first), as <c>sower deployment list --json</c> shows them.</summary>
    public async Task<JsonArray> DeploymentsAsync(string gardenSid) =>
        (await JsonAsync("deployment", "list", "--garden", gardenSid, "--limit", "200"))["deployments"]!.AsArray();

    public async Task<JsonNode> DeploymentAsync(string sid) => await JsonAsync("deployment", "show", sid);

    /// <summary>The sid of a garden that has just connected: the listings are an eventually consistent read model, so this
    /// waits (up to 30 s) for it to appear there.</summary>
    public async Task<string> GardenSidAsync(string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return (string)(await JsonAsync("garden", "show", name))["sid"]!;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }
}
