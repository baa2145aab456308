using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Metrics;

/// <summary>The instruments are process-wide: this class runs alone, so the series it watches move only by its own work.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics (alone)";
}

/// <summary><c>GET /metrics</c> of the real server: who may scrape it, and the named series moving when a garden connects
/// and a deployment runs.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsEndpointTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Metrics_are_refused_without_a_token_and_to_tokens_without_metrics_read()
    {
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        using var bogus = server.Client("sower_not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await bogus.GetAsync("/metrics")).StatusCode);
        foreach (var role in new[] { Roles.SeedRead, Roles.GardenRead, Roles.DeploymentWrite })
        {
            using var wrong = server.Client(await server.TokenWith(role));
            Assert.Equal(HttpStatusCode.Forbidden, (await wrong.GetAsync("/metrics")).StatusCode);
        }
        // A garden's own credential is not an operator's.
        await using var garden = await TestGarden.EnrollAndConnect(server, "metrics-refused");
        using var asGarden = server.Client(garden.Credential);
        Assert.Equal(HttpStatusCode.Forbidden, (await asGarden.GetAsync("/metrics")).StatusCode);

        // metrics:read is all it takes, and it reaches nothing else.
        using var scraper = server.Client(await server.TokenWith(Roles.MetricsRead));
        var ok = await scraper.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.StartsWith("text/plain", ok.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await scraper.GetAsync("/api/v1/gardens")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Admin.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Series_move_when_a_garden_connects_and_a_deployment_runs_and_no_id_or_secret_becomes_a_label()
    {
        using var scraper = server.Client(await server.TokenWith(Roles.MetricsRead));
        var before = await Scrape(scraper);

        await using var garden = await TestGarden.EnrollAndConnect(server, "metrics-web01");
        var subs = await garden.Sync(Subscriptions.NixOS("system", "metrics-web01", Subscriptions.RealtimePolicy));
        var seed = await Seeds.Submit(server, "metrics-web01");
        var seedSid = seed.GetProperty("sid").GetString()!;
        var (_, push) = await garden.NextPush((name, p) => name == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        var deployment = push.GetProperty("sid").GetString()!;
        await garden.Ok(GatewayProtocol.DeploymentStatus, new { deployment_sid = deployment, status = "acknowledged" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = "success", action = "activate", log = (string?)null });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = deployment,
            result = "success",
            deployed_at = "2026-01-01T10:00:00Z",
        });

        // Gauges follow the read model (eventually consistent): wait for the completed deployment to be counted.
        var after = await Wait.ForAsync(async () =>
        {
            var m = await Scrape(scraper);
            return Value(m, "sower_deployments", ("state", "completed"), ("result", "success")) > Value(before, "sower_deployments", ("state", "completed"), ("result", "success"))
                ? m : null;
        }, "the completed deployment in sower_deployments");

        // The garden gauges follow the read model and the cluster-wide presence (replicated): eventually consistent too.
        await Wait.ForAsync(async () =>
        {
            var m = await Scrape(scraper);
            return Value(m, "sower_gardens_connected") >= 1 && Value(m, "sower_gardens_online") >= 1
                   && Value(m, "sower_gardens_registered") > Value(before, "sower_gardens_registered") ? "counted" : null;
        }, "the new garden in sower_gardens_connected, _online and _registered");
        Assert.True(Value(after, "sower_gateway_messages_total", ("method", "Join"), ("reply", "ok")) > Value(before, "sower_gateway_messages_total", ("method", "Join"), ("reply", "ok")),
            Series(after, "sower_gateway"));
        Assert.True(Value(after, "sower_rollout_acknowledge_duration_seconds_count", ("trigger", "realtime"))
            > Value(before, "sower_rollout_acknowledge_duration_seconds_count", ("trigger", "realtime")), Series(after, "sower_rollout"));
        Assert.True(Value(after, "sower_rollout_result_duration_seconds_count", ("trigger", "realtime"), ("result", "success"))
            > Value(before, "sower_rollout_result_duration_seconds_count", ("trigger", "realtime"), ("result", "success")));
        Assert.True(Value(after, "sower_deployments_completed_total", ("trigger", "realtime"), ("result", "success"))
            > Value(before, "sower_deployments_completed_total", ("trigger", "realtime"), ("result", "success")), Series(after, "sower_deployments"));
        Assert.True(Value(after, "sower_persistence_write_duration_seconds_count", ("entity", "deployment")) > 0, Series(after, "sower_persistence"));
        Assert.True(Value(after, "http_server_request_duration_seconds_count") > 0, Series(after, "http_"));

        // A message the gateway refuses is counted under its error code.
        await garden.ErrorCode(GatewayProtocol.DeploymentStatus, new { deployment_sid = "dep_doesnotexist", status = "acknowledged" });
        var refused = await Wait.ForAsync(async () =>
        {
            var m = await Scrape(scraper);
            return m.Any(l => l.StartsWith("sower_gateway_messages_total{", StringComparison.Ordinal) && l.Contains("method=\"DeploymentStatus\"")
                && !l.Contains("reply=\"ok\"")) ? m : null;
        }, "a refused gateway message in sower_gateway_messages_total");

        // Shards and entities of this node appear once the regions answered (the first scrape asks them).
        await Wait.ForAsync(async () => Value(await Scrape(scraper), "sower_cluster_entities", ("type", "deployment")) >= 1 ? "counted" : null,
            "this node's deployment entities in sower_cluster_entities");

        // No id, name or secret of a garden, seed, deployment or token is a label value.
        var text = string.Join('\n', refused);
        foreach (var secret in new[] { garden.Sid, deployment, seedSid, subs["system"], garden.Credential, server.AdminToken, "metrics-web01" })
        {
            Assert.DoesNotContain(secret, text);
        }
    }

    private static string Series(string[] lines, string prefix) =>
        "series: " + string.Join('\n', lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal) || l.StartsWith("# TYPE " + prefix, StringComparison.Ordinal)).Take(40));

    private static async Task<string[]> Scrape(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsStringAsync()).Split('\n');
    }

    /// <summary>The sum of the samples of a series whose labels include every given pair (0 when there is none).</summary>
    private static double Value(string[] lines, string name, params (string Key, string Value)[] labels)
    {
        var sum = 0.0;
        foreach (var line in lines)
        {
            var m = Regex.Match(line, @"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ([^ ]+)");
            if (!m.Success || m.Groups[1].Value != name) continue;
            if (!labels.All(l => m.Groups[2].Value.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal))) continue;
            sum += double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
