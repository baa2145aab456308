using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// A second garden can touch nothing of the first through any message type (REFERENCE §6.12, pitfall 1): every garden
/// message is checked against the garden the connection is bound to.
/// </summary>
public sealed class GardenIsolationTests : IClassFixture<TestServer>, IAsyncLifetime
{
    private readonly TestServer _server;
    private TestGarden _owner = null!;
    private TestGarden _intruder = null!;
    private string _deployment = "";
    private string _seed = "";
    private string _subscription = "";
    private string _requestId = "";

    public GardenIsolationTests(TestServer server) => _server = server;

    public async Task InitializeAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        _owner = await TestGarden.EnrollAndConnect(_server, "iso-a-" + suffix);
        _intruder = await TestGarden.EnrollAndConnect(_server, "iso-b-" + suffix);
        _subscription = (await _owner.Sync(Subscriptions.NixOS("system", _owner.Name, Subscriptions.RealtimePolicy)))["system"];
        await _intruder.Sync(Subscriptions.NixOS("system", _intruder.Name, Subscriptions.RealtimePolicy));
        _seed = (await Seeds.Submit(_server, _owner.Name)).GetProperty("sid").GetString()!;
        var (_, push) = await _owner.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        _deployment = push.GetProperty("sid").GetString()!;
        _requestId = push.GetProperty("request_id").GetString()!;
        // The owner's subscription must be visible to the gateway's ownership check (read model) before the request test.
        await Wait.ForAsync(async () => (await _server.GetJson($"/api/v1/gardens/{_owner.Sid}")).GetProperty("subscriptions").GetArrayLength() > 0 ? "" : null,
            "the owner's subscriptions in the read model");
    }

    public async Task DisposeAsync()
    {
        await _owner.DisposeAsync();
        await _intruder.DisposeAsync();
    }

    private async Task AssertDeploymentUntouched()
    {
        var detail = await _server.GetJson($"/api/v1/deployments/{_deployment}");
        Assert.Equal("dispatched", detail.GetProperty("state").GetString());
        Assert.Null(detail.GetProperty("seeds")[0].Opt("result"));
        Assert.Equal("", detail.GetProperty("seeds")[0].GetProperty("log").GetString());
        Assert.Equal("pending", detail.GetProperty("seeds")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Deployment_status_for_another_gardens_deployment_is_unauthorized()
    {
        Assert.Equal(GatewayErrors.Unauthorized, await _intruder.ErrorCode(GatewayProtocol.DeploymentStatus, new { deployment_sid = _deployment, status = "acknowledged" }));
        await AssertDeploymentUntouched();
    }

    [Fact]
    public async Task Seed_status_for_another_gardens_deployment_is_unauthorized()
    {
        Assert.Equal(GatewayErrors.Unauthorized, await _intruder.ErrorCode(GatewayProtocol.DeploymentSeedStatus,
            new { deployment_sid = _deployment, seed_sid = _seed, status = "downloading" }));
        await AssertDeploymentUntouched();
    }

    [Fact]
    public async Task Seed_result_for_another_gardens_deployment_is_unauthorized()
    {
        Assert.Equal(GatewayErrors.Unauthorized, await _intruder.ErrorCode(GatewayProtocol.DeploymentSeedResult,
            new { deployment_sid = _deployment, seed_sid = _seed, result = "failure", action = "none", log = "owned" }));
        await AssertDeploymentUntouched();
    }

    [Fact]
    public async Task Deployment_result_for_another_gardens_deployment_is_unauthorized()
    {
        Assert.Equal(GatewayErrors.Unauthorized, await _intruder.ErrorCode(GatewayProtocol.DeploymentResult,
            new { request_id = _requestId, deployment_sid = _deployment, result = "failure", deployed_at = "2026-01-01T00:00:00Z" }));
        await AssertDeploymentUntouched();
    }

    [Fact]
    public async Task Deployment_request_for_another_gardens_subscription_is_unauthorized()
    {
        Assert.Equal(GatewayErrors.Unauthorized, await _intruder.ErrorCode(GatewayProtocol.DeploymentRequest,
            new { request_id = "req_" + new string('x', 24), subscription_sids = new[] { _subscription }, trigger = "manual", force = true }));
        Assert.True(await _owner.NoPushWithin(TimeSpan.FromMilliseconds(300), (n, p) => p.GetProperty("request_id").GetString() == "req_" + new string('x', 24)));
    }

    [Fact]
    public async Task A_seed_outside_the_deployment_is_refused_even_for_the_owner()
    {
        var otherSeed = (await Seeds.Submit(_server, "iso-unrelated")).GetProperty("sid").GetString()!;
        Assert.Equal(GatewayErrors.SeedNotInDeployment, await _owner.ErrorCode(GatewayProtocol.DeploymentSeedResult,
            new { deployment_sid = _deployment, seed_sid = otherSeed, result = "success", action = "activate", log = "x" }));
        Assert.Equal(GatewayErrors.SeedNotInDeployment, await _owner.ErrorCode(GatewayProtocol.DeploymentSeedStatus,
            new { deployment_sid = _deployment, seed_sid = otherSeed, status = "downloading" }));
    }

    [Fact]
    public async Task An_unknown_deployment_is_not_found()
    {
        Assert.Equal(GatewayErrors.DeploymentNotFound, await _intruder.ErrorCode(GatewayProtocol.DeploymentStatus,
            new { deployment_sid = "dply_" + new string('q', 24), status = "acknowledged" }));
    }

    [Fact]
    public async Task Subscription_sync_report_and_version_only_ever_change_the_senders_own_garden()
    {
        await _intruder.Sync(Subscriptions.NixOS("system", _owner.Name, Subscriptions.RealtimePolicy));
        await _intruder.Ok(GatewayProtocol.GardenReport, new { version = "evil-1.0" });
        await _intruder.Ok(GatewayProtocol.GardenSeedsReport, new { profiles = Array.Empty<object>() });
        var sid = (await _intruder.Ok(GatewayProtocol.GardenReport, new { version = "evil-1.0" })).GetProperty("sid").GetString();
        Assert.Equal(_intruder.Sid, sid);

        var owner = await _server.GetJson($"/api/v1/gardens/{_owner.Sid}");
        Assert.NotEqual("evil-1.0", owner.Opt("version")?.GetString());
        Assert.Equal(_subscription, owner.GetProperty("subscriptions")[0].GetProperty("sid").GetString());
        await AssertDeploymentUntouched();
    }
}

internal static class JsonElementExtensions
{
    /// <summary>The property, or null when absent or JSON null (the API omits null members).</summary>
    public static JsonElement? Opt(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? v : null;
}
