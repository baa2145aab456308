using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>The vertical slice over real HTTP and WebSockets: submit → realtime fan-out → push → progress → API.</summary>
public sealed class RealtimeDeploymentTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Submitted_seed_reaches_a_realtime_subscriber_and_its_progress_and_result_are_recorded()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "rt-web01");
        var subs = await garden.Sync(Subscriptions.NixOS("system", "rt-web01", Subscriptions.RealtimePolicy));
        var subscription = subs["system"];

        var seed = await Seeds.Submit(server, "rt-web01", tags: ("git_branch", "main"));
        var seedSid = seed.GetProperty("sid").GetString()!;

        var (_, push) = await garden.NextPush((name, p) => name == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        Assert.Equal("realtime", push.GetProperty("trigger").GetString());
        var seedDeployment = push.GetProperty("seed_deployments")[0];
        Assert.Equal(subscription, seedDeployment.GetProperty("subscription_sid").GetString());
        Assert.Equal("activate", seedDeployment.GetProperty("action").GetString());
        Assert.Equal(seedSid, seedDeployment.GetProperty("seed").GetProperty("sid").GetString());
        var deployment = push.GetProperty("sid").GetString()!;

        Assert.Equal(deployment, (await garden.Ok(GatewayProtocol.DeploymentStatus, new { deployment_sid = deployment, status = "acknowledged" }))
            .GetProperty("sid").GetString());
        await garden.Ok(GatewayProtocol.DeploymentSeedStatus, new { deployment_sid = deployment, seed_sid = seedSid, status = "activating" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = (string?)null, action = (string?)null, log = "line one" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = "success", action = "activate", log = (string?)null });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = (string?)null, action = (string?)null, log = "line two" });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = deployment,
            result = "success",
            deployed_at = "2026-01-01T10:00:00Z",
        });

        var detail = await server.GetJson($"/api/v1/deployments/{deployment}");
        Assert.Equal("completed", detail.GetProperty("state").GetString());
        Assert.Equal("success", detail.GetProperty("result").GetString());
        Assert.Equal("realtime_triggered", detail.GetProperty("reason").GetString());
        var seedRow = detail.GetProperty("seeds")[0];
        Assert.Equal("line one\nline two", seedRow.GetProperty("log").GetString());
        Assert.Equal("activate", seedRow.GetProperty("executed_action").GetString());
        Assert.Equal("success", seedRow.GetProperty("result").GetString());
        Assert.Contains(detail.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "created");

        // The listing (read model, eventually consistent) shows it completed too.
        await Wait.ForAsync(async () =>
        {
            var list = await server.GetJson($"/api/v1/deployments?garden={garden.Sid}&state=completed");
            return list.GetProperty("items").EnumerateArray().Any(d => d.GetProperty("sid").GetString() == deployment) ? "listed" : null;
        }, "the completed deployment in the listing");
    }

    [Fact]
    public async Task A_burst_of_submissions_coalesces_on_the_latest_seed_and_a_resubmission_without_promote_deploys_nothing()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "rt-burst");
        await garden.Sync(Subscriptions.NixOS("system", "rt-burst", Subscriptions.RealtimePolicy));
        var first = await Seeds.Submit(server, "rt-burst");
        var (_, push1) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        Assert.Equal(first.GetProperty("sid").GetString(), push1.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString());

        // Re-submitting the same artifact (no promote) leaves recency alone and fans out nothing new.
        var again = await Seeds.Submit(server, "rt-burst", first.GetProperty("artifact").GetString());
        Assert.Equal(first.GetProperty("recency").GetString(), again.GetProperty("recency").GetString());

        var second = await Seeds.Submit(server, "rt-burst");
        var (_, push2) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        Assert.Equal(second.GetProperty("sid").GetString(), push2.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString());

        // The first deployment was still dispatched: the newer one covering the same subscription supersedes it.
        await Wait.ForAsync(async () =>
        {
            var d = await server.GetJson($"/api/v1/deployments/{push1.GetProperty("sid").GetString()}");
            return d.GetProperty("state").GetString() == "canceled" ? "superseded" : null;
        }, "the older deployment to be superseded");
    }
}
