using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>Issue 16.2 over real HTTP and WebSockets: recall and unrecall, who may, what is refused, and the replacement push.</summary>
public sealed class SeedRecallApiTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Recall_is_refused_for_a_wrong_role_an_unknown_seed_a_hostile_reason_a_second_recall_and_an_unrecall_of_a_seed_not_recalled()
    {
        var seed = await Seeds.Submit(server, "recall-api");
        var sid = seed.GetProperty("sid").GetString()!;

        foreach (var role in new[] { Roles.SeedRead, Roles.DeploymentWrite, Roles.GardenRegister })
        {
            using var client = server.Client(await server.TokenWith(role));
            Assert.Equal(403, (await server.PostJson($"/api/v1/seeds/{sid}/recall", new { reason = "bad" }, client)).Status);
            Assert.Equal(403, (await server.PostJson($"/api/v1/seeds/{sid}/unrecall", null, client)).Status);
        }
        Assert.Equal(404, (await server.PostJson("/api/v1/seeds/seed_abcdefghijklmnopqrstuvwx/recall", new { reason = "bad" })).Status);
        Assert.Equal(404, (await server.PostJson("/api/v1/seeds/seed_%27%20OR%201=1/recall", new { reason = "bad" })).Status);
        Assert.Equal(404, (await server.PostJson("/api/v1/seeds/seed_abcdefghijklmnopqrstuvwx/unrecall", null)).Status);

        foreach (var hostile in new[] { "", "   ", "line\nbreak", "esc\u001b[31mred", "rtl\u202eevil", new string('x', 501) })
        {
            var (status, body) = await server.PostJson($"/api/v1/seeds/{sid}/recall", new { reason = hostile });
            Assert.True(status == 422, $"reason {JsonSerializer.Serialize(hostile)} gave {status}");
            Assert.StartsWith("reason:", body.GetProperty("errors")[0].GetString());
        }
        Assert.Equal(422, (await server.PostJson($"/api/v1/seeds/{sid}/recall", null)).Status);
        Assert.False((await server.GetJson($"/api/v1/seeds/{sid}")).GetProperty("recalled").GetBoolean());

        var (notRecalled, notRecalledBody) = await server.PostJson($"/api/v1/seeds/{sid}/unrecall", null);
        Assert.Equal(409, notRecalled);
        Assert.Equal("not_recalled", notRecalledBody.GetProperty("error").GetString());

        var quoted = "it's <b>\"bad\"</b> ${oops} '; DROP TABLE seeds; --";
        var (recalled, recalledBody) = await server.PostJson($"/api/v1/seeds/{sid}/recall", new { reason = quoted });
        Assert.Equal(200, recalled);
        Assert.True(recalledBody.GetProperty("recalled").GetBoolean());
        Assert.Equal(quoted, recalledBody.GetProperty("recall_reason").GetString());
        Assert.False(recalledBody.GetProperty("retired").GetBoolean());

        var (twice, twiceBody) = await server.PostJson($"/api/v1/seeds/{sid}/recall", new { reason = "again" });
        Assert.Equal(409, twice);
        Assert.Equal("already_recalled", twiceBody.GetProperty("error").GetString());
        Assert.Equal(quoted, (await server.GetJson($"/api/v1/seeds/{sid}")).GetProperty("recall_reason").GetString());

        var (undone, undoneBody) = await server.PostJson($"/api/v1/seeds/{sid}/unrecall", null);
        Assert.Equal(200, undone);
        Assert.False(undoneBody.GetProperty("recalled").GetBoolean());
    }

    [Fact]
    public async Task A_recall_pushes_the_previous_seed_under_the_recall_trigger_and_the_recalled_seed_is_never_deployed_again()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "recall-web01");
        // Rules can name the recall trigger (the default policy allows it too; a policy without it holds the recall).
        var policy = new Dictionary<string, object> { ["live"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "recall" } } };
        var subs = await garden.Sync(Subscriptions.NixOS("system", "recall-web01", policy));
        var good = await Seeds.Submit(server, "recall-web01");
        await Complete(garden, await NextDeployment(garden));
        var bad = await Seeds.Submit(server, "recall-web01");
        await Complete(garden, await NextDeployment(garden));
        // The read model (RunningSeed) and the garden entity both know the bad seed runs before it is recalled.
        await Wait.ForAsync(async () =>
        {
            var list = await server.GetJson($"/api/v1/deployments?garden={garden.Sid}&state=completed");
            return list.GetProperty("items").GetArrayLength() == 2 ? "both completed" : null;
        }, "both deployments completed in the listing");

        var badSid = bad.GetProperty("sid").GetString()!;
        Assert.Equal(200, (await server.PostJson($"/api/v1/seeds/{badSid}/recall", new { reason = "breaks DNS" })).Status);

        var replacement = await NextDeployment(garden);
        Assert.Equal("recall", replacement.GetProperty("trigger").GetString());
        var pushed = replacement.GetProperty("seed_deployments")[0];
        Assert.Equal(subs["system"], pushed.GetProperty("subscription_sid").GetString());
        Assert.Equal(good.GetProperty("sid").GetString(), pushed.GetProperty("seed").GetProperty("sid").GetString());
        await Complete(garden, replacement);

        // Promoting or deploying the recalled seed by hand creates nothing.
        Assert.Equal(200, (await server.PostJson($"/api/v1/seeds?promote=true", new
        {
            name = "recall-web01",
            seed_type = "nixos",
            artifact = bad.GetProperty("artifact").GetString(),
            tags = Array.Empty<object>(),
        })).Status);
        Assert.True(await garden.NoPushWithin(TimeSpan.FromSeconds(2), (n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean()));
    }

    private static async Task<JsonElement> NextDeployment(TestGarden garden) =>
        (await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean())).Payload;

    private static async Task Complete(TestGarden garden, JsonElement push)
    {
        var deployment = push.GetProperty("sid").GetString()!;
        var seedSid = push.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString()!;
        await garden.Ok(GatewayProtocol.DeploymentStatus, new { deployment_sid = deployment, status = "acknowledged" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = "success", action = "activate", log = "ok" });
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = deployment,
            result = "success",
            deployed_at = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        });
    }
}
