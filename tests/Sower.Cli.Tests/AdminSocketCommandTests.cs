using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;
using Sower.Messages.GardenDaemon;

namespace Sower.Cli.Tests;

/// <summary>`sower garden status|deploy|reload` as a real process against a fake garden admin socket (REFERENCE §5.15).</summary>
public sealed class AdminSocketCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-admin-").FullName;

    private string SocketPath => Path.Combine(_dir, "admin.sock");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Serves one connection: reads the request line, answers with <paramref name="reply"/>(request).</summary>
    private Task<JsonObject> Serve(Func<JsonObject, string> reply)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(1);
        return Task.Run(async () =>
        {
            using (listener)
            using (var client = await listener.AcceptAsync())
            await using (var stream = new NetworkStream(client, ownsSocket: false))
            {
                using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
                var request = JsonNode.Parse((await reader.ReadLineAsync())!)!.AsObject();
                await stream.WriteAsync(Encoding.UTF8.GetBytes(reply(request)));
                client.Shutdown(SocketShutdown.Both);
                return request;
            }
        });
    }

    private CliResult Run(params string[] args) =>
        SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ADMIN_SOCKET"] = SocketPath }, null, args);

    [Fact]
    public async Task Status_prints_version_and_active_deployments_and_sends_the_pid_as_request_id()
    {
        var served = Serve(r => AdminProtocol.Status((string)r["id"]!, new JsonObject
        {
            ["version"] = "1.2.3",
            ["active_deployments"] = new JsonArray("dply_a", "dply_b"),
        }) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "status");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("version: 1.2.3\nactive deployments: dply_a, dply_b\n", result.Stdout);
        var request = await served;
        Assert.Equal(1, (int)request["v"]!);
        Assert.Equal("status", (string?)request["kind"]);
        Assert.True(int.TryParse((string?)request["id"], out var pid) && pid > 0);
    }

    [Fact]
    public async Task Status_json_and_none_for_no_active_deployments()
    {
        var served = Serve(r => AdminProtocol.Status((string)r["id"]!, new JsonObject { ["version"] = "1.2.3", ["active_deployments"] = new JsonArray() })
                                + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "status", "--json");
        Assert.Equal("""{"version":"1.2.3","active_deployments":[]}""", result.Stdout.Trim());
        await served;
        var text = Serve(r => AdminProtocol.Status((string)r["id"]!, new JsonObject { ["version"] = "1.2.3", ["active_deployments"] = new JsonArray() })
                              + AdminProtocol.Complete((string)r["id"]!, 0));
        Assert.Contains("active deployments: none", Run("garden", "status", "--socket", SocketPath).Stdout);
        await text;
    }

    [Fact]
    public async Task Status_prints_the_connection_and_every_subscription_with_its_next_fire_and_next_window_change()
    {
        JsonObject Status() => new()
        {
            ["version"] = "1.2.3",
            ["active_deployments"] = new JsonArray(),
            ["connected"] = true,
            ["garden_sid"] = "grdn_aaaaaaaaaaaaaaaaaaaaaaa",
            ["status"] = "synced",
            ["subscriptions"] = new JsonArray(
                new JsonObject
                {
                    ["name"] = "system",
                    ["sid"] = "sub_a",
                    ["seed_name"] = "demo",
                    ["seed_type"] = "nixos",
                    ["schedule"] = "0 4 * * *",
                    ["timezone"] = "Europe/Berlin",
                    ["next_fire"] = "2026-12-06T03:00:00Z",
                    ["next_window_change"] = "2026-12-06T05:00:00Z",
                    ["current_seed"] = "seed_cur",
                    ["pending_seed"] = null,
                },
                new JsonObject { ["name"] = "home", ["seed_name"] = "hm", ["seed_type"] = "home-manager" }),
        };
        var served = Serve(r => AdminProtocol.Status((string)r["id"]!, Status()) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "status");
        await served;
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("connection: connected as grdn_aaaaaaaaaaaaaaaaaaaaaaa (synced)", result.Stdout);
        var lines = result.Stdout.Split('\n');
        var system = Assert.Single(lines, l => l.StartsWith("system ", StringComparison.Ordinal));
        foreach (var expected in new[] { "nixos/demo", "0 4 * * * (Europe/Berlin)", "2026-12-06T03:00:00Z", "2026-12-06T05:00:00Z", "seed_cur" })
        {
            Assert.Contains(expected, system);
        }
        Assert.Single(lines, l => l.StartsWith("home ", StringComparison.Ordinal) && l.Contains("home-manager/hm", StringComparison.Ordinal));

        var servedJson = Serve(r => AdminProtocol.Status((string)r["id"]!, Status()) + AdminProtocol.Complete((string)r["id"]!, 0));
        var json = JsonNode.Parse(Run("garden", "status", "--json").Stdout)!;
        await servedJson;
        Assert.True((bool)json["connected"]!);
        Assert.Equal("2026-12-06T05:00:00Z", (string?)json["subscriptions"]![0]!["next_window_change"]);
    }

    [Fact]
    public async Task Status_says_when_the_garden_is_not_connected_and_has_no_subscriptions()
    {
        var served = Serve(r => AdminProtocol.Status((string)r["id"]!, new JsonObject
        {
            ["version"] = "1.2.3",
            ["active_deployments"] = new JsonArray(),
            ["connected"] = false,
            ["status"] = "connecting",
            ["subscriptions"] = new JsonArray(),
        }) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "status");
        await served;
        Assert.Contains("connection: not connected (connecting)", result.Stdout);
        Assert.Contains("subscriptions:\n(none)", result.Stdout);
    }

    [Fact]
    public async Task Deploy_sends_the_payload_and_prints_ok_data()
    {
        var served = Serve(r => AdminProtocol.Ok((string)r["id"]!, AdminProtocol.DeploymentEnqueued) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "deploy", "--type", "nixos", "--force");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("deployment enqueued\n", result.Stdout);
        var request = await served;
        Assert.Equal("deploy", (string?)request["kind"]);
        Assert.Equal("""{"seed_type":"nixos","sid":null,"force":true}""", request["payload"]!.ToJsonString());
    }

    [Theory]
    [InlineData(AdminProtocol.PolicyDenied, 4)]
    [InlineData(AdminProtocol.SubscriptionNotFound, 3)]
    [InlineData(AdminProtocol.NotConnected, 5)]
    [InlineData(AdminProtocol.MultipleMatched, 1)]
    public async Task Deploy_errors_go_to_stderr_with_the_exit_code(string error, int exitCode)
    {
        var served = Serve(r => AdminProtocol.Error((string)r["id"]!, error) + AdminProtocol.Complete((string)r["id"]!, 1));
        var result = Run("garden", "deploy", "--sid", "sub_aaaaaaaaaaaaaaaaaaaaaaaa");
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal($"error: {error}", Sow.SingleError(result));
        Assert.Equal("sub_aaaaaaaaaaaaaaaaaaaaaaaa", (string?)(await served)["payload"]!["sid"]);
    }

    [Fact]
    public async Task Reload_prints_reload_requested()
    {
        var served = Serve(r => AdminProtocol.Ok((string)r["id"]!, AdminProtocol.ReloadRequested) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "reload");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("reload requested\n", result.Stdout);
        Assert.Equal("reload", (string?)(await served)["kind"]);
    }

    [Fact]
    public async Task A_reply_without_complete_is_an_error()
    {
        var served = Serve(r => AdminProtocol.Ok((string)r["id"]!, AdminProtocol.ReloadRequested));
        var result = Run("garden", "reload");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: the garden closed the admin socket without a complete reply", Sow.SingleError(result));
        await served;
    }

    [Fact]
    public async Task A_reply_line_over_64_KiB_is_refused()
    {
        var served = Serve(r => AdminProtocol.Ok((string)r["id"]!, new string('x', 70_000)) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = Run("garden", "reload");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: the garden sent a reply line longer than 65536 bytes", Sow.SingleError(result));
        await served;
    }

    [Fact]
    public void A_missing_socket_is_unreachable_and_usage_errors_exit_2()
    {
        var result = Run("garden", "status");
        Assert.Equal(5, result.ExitCode);
        Assert.Equal($"error: cannot connect to the garden's admin socket {SocketPath}: no such socket (is sower-garden running?)", Sow.SingleError(result));
        var usage = Run("garden", "deploy");
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal("error: give exactly one of --type or --sid", Sow.SingleError(usage));
    }

    [Fact]
    public async Task The_config_file_admin_socket_is_used_when_neither_flag_nor_environment_names_one()
    {
        var config = Path.Combine(_dir, "client.json");
        File.WriteAllText(config, new JsonObject { ["admin_socket"] = SocketPath }.ToJsonString());
        var served = Serve(r => AdminProtocol.Ok((string)r["id"]!, AdminProtocol.ReloadRequested) + AdminProtocol.Complete((string)r["id"]!, 0));
        var result = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_CONFIG_FILE"] = config }, null, "garden", "reload");
        Assert.Equal(0, result.ExitCode);
        await served;
    }
}
