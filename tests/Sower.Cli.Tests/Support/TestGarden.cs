using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Sower.Cli.Tests.Support;

/// <summary>
/// A garden for tests: enrolled through the real REST API, connected to the real gateway hub with its own credential,
/// speaking the gateway protocol (join, subscriptions:sync, and on each pushed deployment: acknowledged, seed status,
/// seed result and the deployment result). <see cref="Outcome"/> decides what it reports.
/// </summary>
public sealed class TestGarden : IAsyncDisposable
{
    private readonly HubConnection _connection;

    public string Sid { get; }
    public string Name { get; }
    public ConcurrentQueue<JsonObject> Received { get; } = new();
    public Dictionary<string, string> SubscriptionSids { get; } = new();

    /// <summary>success or failure for every seed of every deployment.</summary>
    public string Outcome { get; set; } = "success";

    private TestGarden(string sid, string name, HubConnection connection)
    {
        Sid = sid;
        Name = name;
        _connection = connection;
    }

    public static async Task<TestGarden> Enroll(TestServer server, string name)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        var body = new JsonObject { ["name"] = name, ["host_identifier"] = "host-" + name, ["version"] = "test-1.0" };
        var response = await http.PostAsync(server.Url + "/api/v1/gardens/register", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"enrollment failed: {(int)response.StatusCode} {text}");
        var enrolled = JsonNode.Parse(text)!;
        var credential = (string)enrolled["credential"]!;
        var connection = new HubConnectionBuilder()
            .WithUrl(server.Url + "/hubs/garden", o => o.AccessTokenProvider = () => Task.FromResult<string?>(credential))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();
        var garden = new TestGarden((string)enrolled["sid"]!, name, connection);
        connection.On<JsonElement>("deployment", push => _ = garden.Handle(JsonNode.Parse(push.GetRawText())!.AsObject()));
        await connection.StartAsync();
        await garden.Call("join", new JsonObject { ["protocol_version"] = 1, ["version"] = "test-1.0" });
        await garden.Call("garden:report", new JsonObject { ["version"] = "test-1.0" });
        return garden;
    }

    public async Task<JsonNode?> Call(string method, JsonObject payload)
    {
        var reply = await _connection.InvokeAsync<JsonElement>(method, JsonDocument.Parse(payload.ToJsonString()).RootElement);
        var node = JsonNode.Parse(reply.GetRawText())!;
        Assert.True((bool)node["ok"]!, $"{method} failed: {node.ToJsonString()}");
        return node["body"];
    }

    /// <summary>Syncs subscriptions given as name → JSON object (seed_type, rules, policy …).</summary>
    public async Task Sync(params (string Name, JsonObject Spec)[] subscriptions)
    {
        var list = new JsonArray();
        foreach (var (name, spec) in subscriptions)
        {
            var copy = spec.DeepClone().AsObject();
            copy["name"] = name;
            list.Add(copy);
        }
        var body = await Call("subscriptions:sync", new JsonObject { ["subscriptions"] = list });
        foreach (var s in body!["subscriptions"]!.AsArray()) SubscriptionSids[(string)s!["name"]!] = (string)s["sid"]!;
    }

    private async Task Handle(JsonObject push)
    {
        Received.Enqueue(push);
        if ((bool?)push["skipped"] == true) return;
        var sid = (string)push["sid"]!;
        try
        {
            await Call("deployment:status", new JsonObject { ["deployment_sid"] = sid, ["status"] = "acknowledged" });
            foreach (var sd in push["seed_deployments"]!.AsArray())
            {
                var seed = (string)sd!["seed"]!["sid"]!;
                foreach (var status in new[] { "downloading", "activating", "completed" })
                {
                    await Call("deployment:seed_status", new JsonObject { ["deployment_sid"] = sid, ["seed_sid"] = seed, ["status"] = status });
                    await Task.Delay(50);
                }
                await Call("deployment:seed_result", new JsonObject
                {
                    ["deployment_sid"] = sid,
                    ["seed_sid"] = seed,
                    ["result"] = Outcome,
                    ["action"] = Outcome == "success" ? (string?)sd["action"] : "none",
                    ["log"] = Outcome == "success" ? $"realised {(string?)sd["seed"]!["artifact"]}\nactivated" : "activation failed: exit code 1",
                });
            }
            await Call("deployment:result", new JsonObject
            {
                ["request_id"] = (string)push["request_id"]!,
                ["deployment_sid"] = sid,
                ["result"] = Outcome,
                ["deployed_at"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            });
        }
        catch (Exception e)
        {
            Received.Enqueue(new JsonObject { ["test_error"] = e.Message });
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
