using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sower.Cli.Commands;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>Waiting that ends in a timeout, an offline garden, a missing token, and what people see on a terminal.</summary>
[Collection(ServerCollection.Name)]
public sealed class WaitingAndTerminalTests(TestServer server)
{
    private async Task<TestGarden> SyncedGarden(string name)
    {
        var garden = await TestGarden.Enroll(server, name);
        await garden.Sync((name, Sow.NixosSubscription(name, Sow.Policy(("live", ["activate"], ["realtime", "manual"])))));
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        await Sow.Eventually(() => JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens/{garden.Sid}").Result)!["subscriptions"]!.AsArray().Count == 1,
            "subscriptions synced");
        return garden;
    }

    [Fact]
    public async Task A_rollout_to_an_offline_garden_says_so_and_a_timeout_exits_1_with_a_message()
    {
        var garden = await SyncedGarden("offline01");
        await garden.DisposeAsync();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        await Sow.Eventually(() => !(bool)JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens/{garden.Sid}").Result)!["online"]!, "garden offline");

        var result = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("offline01"), "-n", "offline01", "-t", "nixos", "--no-git", "--wait", "--timeout", "3s");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("dispatched — garden offline; it is delivered when the garden connects", result.Stdout);
        Assert.Equal("error: timed out after 3 s waiting for the rollout; it goes on on the server (see sower deployment list)", Sow.SingleError(result));

        var withoutWait = Sow.Run(server, "seed", "submit", Sow.NixosArtifact("offline01"), "-n", "offline01", "-t", "nixos", "--no-git", "--timeout", "3s");
        Assert.Equal(2, withoutWait.ExitCode);
        Assert.Equal("error: --timeout needs --wait", Sow.SingleError(withoutWait));
    }

    [Fact]
    public void Without_a_token_the_cli_warns_and_the_server_answer_names_what_is_missing()
    {
        var result = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = server.Url }, null, "seed", "list");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("warning: no access token", result.Stderr);
        Assert.Equal("error: the server requires an access token: use --access-token, --access-token-file or SOWER_ACCESS_TOKEN", Sow.SingleError(result));
    }

    private CliResult Terminal(Dictionary<string, string?> env, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        env["SOWER_ENDPOINT"] = server.Url;
        env["SOWER_ACCESS_TOKEN"] = server.AdminToken;
        var io = new CliIo(output, error, new StringReader(""), outputIsTerminal: true, errorIsTerminal: true, name => env.GetValueOrDefault(name));
        var code = Sower.Cli.Program.Run(args, io);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task On_a_terminal_tables_are_coloured_unless_NO_COLOR_and_waiting_shows_progress_on_stderr()
    {
        await using var garden = await SyncedGarden("terminal01");
        Assert.Equal(0, Sow.Run(server, "seed", "submit", Sow.NixosArtifact("terminal01"), "-n", "terminal01", "-t", "nixos", "--no-git", "--wait", "--timeout", "60s").ExitCode);

        var coloured = Terminal([], "garden", "list");
        Assert.Equal(0, coloured.ExitCode);
        Assert.Contains("\u001b[1mNAME", coloured.Stdout);
        Assert.Contains("\u001b[32monline", coloured.Stdout);

        var plain = Terminal(new() { ["NO_COLOR"] = "1" }, "garden", "list");
        Assert.DoesNotContain("\u001b[", plain.Stdout);
        Assert.Contains("terminal01", plain.Stdout);

        // Not a terminal (the real process with redirected output): no colour, no progress.
        var piped = Sow.Run(server, "garden", "list");
        Assert.DoesNotContain("\u001b[", piped.Stdout + piped.Stderr);

        var deployment = (string)SowerProcess.JsonLine(Sow.Run(server, "deployment", "list", "--garden", garden.Sid, "--json"))["deployments"]![0]!["sid"]!;
        var follow = Terminal(new() { ["NO_COLOR"] = "1" }, "deployment", "follow", deployment);
        Assert.Equal(0, follow.ExitCode);
        Assert.Contains($"| deployment {deployment}", follow.Stderr);
        Assert.Contains("\r\u001b[2K", follow.Stderr);
        Assert.Contains($"deployment {deployment} on terminal01: completed (success)", follow.Stdout);
    }
}
