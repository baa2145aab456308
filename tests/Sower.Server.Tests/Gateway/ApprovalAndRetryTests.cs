using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>Approval flow (REFERENCE §6.9), manual deploy (§6.5) and retry (§6.10) end to end.</summary>
public sealed class ApprovalAndRetryTests(TestServer server) : IClassFixture<TestServer>
{
    private static bool RealPush(string name, JsonElement p) => name == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean();

    private async Task<JsonElement> Deployment(string sid) => await server.GetJson($"/api/v1/deployments/{sid}");

    private async Task<string> LatestDeploymentOf(string gardenSid) => (await Wait.ForAsync(async () =>
    {
        var list = await server.GetJson($"/api/v1/deployments?garden={gardenSid}");
        return list.GetProperty("items").GetArrayLength() > 0 ? list.GetProperty("items")[0].GetProperty("sid").GetString() : null;
    }, "a deployment of the garden"));

    [Fact]
    public async Task A_confirm_rule_parks_the_deployment_until_approved_and_then_pushes_it_approved()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "ap-web01");
        await garden.Sync(Subscriptions.NixOS("system", "ap-web01", Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(server, "ap-web01");

        var sid = await LatestDeploymentOf(garden.Sid);
        var parked = await Deployment(sid);
        Assert.Equal("awaiting_approval", parked.GetProperty("state").GetString());
        Assert.Contains("careful", parked.GetProperty("confirm_rules").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains(parked.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "approval_requested");

        var (status, approved) = await server.PostJson($"/api/v1/deployments/{sid}/approve", null);
        Assert.Equal(200, status);
        Assert.Equal("dispatched", approved.GetProperty("state").GetString());
        Assert.True(approved.GetProperty("approved").GetBoolean());

        var (_, push) = await garden.NextPush((n, p) => RealPush(n, p) && p.GetProperty("sid").GetString() == sid);
        Assert.True(push.GetProperty("approved").GetBoolean());

        // A second decision on the same deployment is refused cleanly.
        var (again, _) = await server.PostJson($"/api/v1/deployments/{sid}/reject", null);
        Assert.Equal(409, again);
    }

    [Fact]
    public async Task Approve_and_reject_record_the_acting_tokens_sid_and_description_in_the_audit_trail()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "ap-audit");
        await garden.Sync(Subscriptions.NixOS("system", "ap-audit", Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(server, "ap-audit");
        var first = await LatestDeploymentOf(garden.Sid);
        var created = (await Deployment(first)).GetProperty("events").EnumerateArray().First(e => e.GetProperty("type").GetString() == "created");
        Assert.NotEqual("system", created.GetProperty("actor").GetString());

        var approver = await server.TokenWith(Sower.Messages.Tokens.Roles.DeploymentWrite);
        var approverSid = approver.Split('_')[1];
        using var asApprover = server.Client(approver);
        var (status, approved) = await server.PostJson($"/api/v1/deployments/{first}/approve", null, asApprover);
        Assert.Equal(200, status);
        var approval = approved.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "approved");
        Assert.Equal(approverSid, approval.GetProperty("actor").GetString());
        Assert.Equal("token", approval.GetProperty("actor_kind").GetString());
        Assert.Equal("test deployment:write", approval.GetProperty("actor_description").GetString());

        await Seeds.Submit(server, "ap-audit", Seeds.Artifact("nixos-system-ap-audit-24.11"));
        var second = await Wait.ForAsync(async () => await LatestDeploymentOf(garden.Sid) is var latest && latest != first ? latest : null, "a second deployment");
        var (rejectStatus, rejected) = await server.PostJson($"/api/v1/deployments/{second}/reject", null, asApprover);
        Assert.Equal(200, rejectStatus);
        var rejection = rejected.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "canceled");
        Assert.Equal(approverSid, rejection.GetProperty("actor").GetString());
        Assert.Equal("test deployment:write", rejection.GetProperty("actor_description").GetString());
    }

    [Fact]
    public async Task A_rejected_deployment_is_canceled_and_never_pushed()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "ap-web02");
        await garden.Sync(Subscriptions.NixOS("system", "ap-web02", Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(server, "ap-web02");
        var sid = await LatestDeploymentOf(garden.Sid);

        var (status, rejected) = await server.PostJson($"/api/v1/deployments/{sid}/reject", null);
        Assert.Equal(200, status);
        Assert.Equal("canceled", rejected.GetProperty("state").GetString());
        Assert.Contains(rejected.GetProperty("events").EnumerateArray(),
            e => e.GetProperty("type").GetString() == "canceled" && e.GetProperty("reason").GetString() == "rejected");
    }

    [Fact]
    public async Task Manual_deploy_pushes_the_latest_seed_and_retry_creates_a_linked_child_unless_one_is_in_progress()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "mn-web01");
        var subs = await garden.Sync(Subscriptions.NixOS("system", "mn-web01"));
        var seed = await Seeds.Submit(server, "mn-web01");

        var sub = subs["system"];
        var (status, accepted) = await Wait.ForAsync(async () =>
        {
            var r = await server.PostJson($"/api/v1/subscriptions/{sub}/deploy", new { });
            return r.Status == 404 && r.Body.GetProperty("error").GetString() == "subscription_not_found" ? null : Tuple.Create(r.Status, r.Body);
        }, "the subscription in the read model") is var t ? (t.Item1, t.Item2) : default;
        Assert.Equal(202, status);
        Assert.False(accepted.GetProperty("awaiting_approval").GetBoolean());
        var deployment = accepted.GetProperty("deployment_sid").GetString()!;

        var (_, push) = await garden.NextPush((n, p) => RealPush(n, p) && p.GetProperty("sid").GetString() == deployment);
        Assert.Equal("manual", push.GetProperty("trigger").GetString());
        Assert.Equal(seed.GetProperty("sid").GetString(), push.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString());

        // Not retryable while dispatched.
        var early = await server.PostJson($"/api/v1/deployments/{deployment}/retry", null);
        Assert.True(early.Status == 409, $"retry of a dispatched deployment answered {early.Status}: {early.Body}");

        await garden.Ok(GatewayProtocol.DeploymentResult, new { request_id = push.GetProperty("request_id").GetString(), deployment_sid = deployment, result = "failure", deployed_at = "2026-01-01T00:00:00Z" });
        var (retryStatus, retry) = await server.PostJson($"/api/v1/deployments/{deployment}/retry", null);
        Assert.Equal(202, retryStatus);
        var child = retry.GetProperty("deployment_sid").GetString()!;
        var childDetail = await Deployment(child);
        Assert.Equal(deployment, childDetail.GetProperty("parent").GetString());
        Assert.Equal(1, childDetail.GetProperty("retry_ordinal").GetInt32());
        Assert.Equal("user_retry", childDetail.GetProperty("reason").GetString());
        await garden.NextPush((n, p) => RealPush(n, p) && p.GetProperty("sid").GetString() == child);

        var (inProgress, body) = await server.PostJson($"/api/v1/deployments/{deployment}/retry", null);
        Assert.Equal(409, inProgress);
        Assert.Equal("retry_in_progress", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_garden_request_under_a_confirm_rule_is_answered_as_awaiting_approval_and_parks_the_deployment()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "gq-web01");
        var subs = await garden.Sync(Subscriptions.NixOS("system", "gq-web01", Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(server, "gq-web01");

        var body = await garden.Ok(GatewayProtocol.DeploymentRequest,
            new { request_id = "req_" + new string('e', 24), subscription_sids = new[] { subs["system"] }, trigger = "manual", force = false });
        Assert.Equal(GatewayProtocol.RequestAwaitingApproval, body.GetProperty("status").GetString());
        var parked = await Deployment(await LatestDeploymentOf(garden.Sid));
        Assert.Equal("awaiting_approval", parked.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_garden_request_under_a_denying_policy_is_refused_and_realtime_cannot_be_claimed()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "gr-web01");
        var stageOnlyManual = new Dictionary<string, object> { ["m"] = new { actions = new[] { "activate" }, triggers = new[] { "manual" } } };
        var subs = await garden.Sync(Subscriptions.NixOS("system", "gr-web01", stageOnlyManual));
        await Seeds.Submit(server, "gr-web01");

        Assert.Equal(GatewayErrors.PolicyDenied, await garden.ErrorCode(GatewayProtocol.DeploymentRequest,
            new { request_id = "req_" + new string('a', 24), subscription_sids = new[] { subs["system"] }, trigger = "scheduled", force = false }));
        Assert.Equal(GatewayErrors.InvalidPayload, await garden.ErrorCode(GatewayProtocol.DeploymentRequest,
            new { request_id = "req_" + new string('b', 24), subscription_sids = new[] { subs["system"] }, trigger = "realtime", force = false }));

        var body = await garden.Ok(GatewayProtocol.DeploymentRequest,
            new { request_id = "req_" + new string('c', 24), subscription_sids = new[] { subs["system"] }, trigger = "manual", force = false });
        Assert.Equal("req_" + new string('c', 24), body.GetProperty("request_id").GetString());
        Assert.Equal(GatewayProtocol.RequestAccepted, body.GetProperty("status").GetString());
        var (_, push) = await garden.NextPush(RealPush);
        Assert.Equal("req_" + new string('c', 24), push.GetProperty("request_id").GetString());
        var detail = await Deployment(push.GetProperty("sid").GetString()!);
        Assert.Equal("admin_triggered", detail.GetProperty("reason").GetString());

        // The same request again is a duplicate of the unresolved deployment: a skipped push, nothing new.
        await garden.Ok(GatewayProtocol.DeploymentRequest,
            new { request_id = "req_" + new string('d', 24), subscription_sids = new[] { subs["system"] }, trigger = "manual", force = false });
        var (_, skipped) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && p.GetProperty("request_id").GetString() == "req_" + new string('d', 24));
        Assert.True(skipped.GetProperty("skipped").GetBoolean());
        Assert.Equal(push.GetProperty("sid").GetString(), skipped.GetProperty("sid").GetString());
    }
}
