using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.SeedTrust;

/// <summary>
/// Issue 12, finding 2: a garden that reports a generation (with a future date and tags matching another garden's
/// subscription) must change nothing for any other garden. Its report is its own record, with the time clamped.
/// </summary>
public sealed class PlantedReportTests(TestServer server) : IClassFixture<TestServer>
{
    private static readonly Dictionary<string, object> ManualAndOnConnect = new()
    {
        ["ops"] = new { actions = new[] { "activate" }, triggers = new[] { "manual", "poll_on_connect" } },
    };

    private static string RequestId() => Sower.Messages.Domain.RequestId.New().Value;

    private static bool Carries(JsonElement push, string artifact) =>
        push.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("artifact").GetString() == artifact;

    [Fact]
    public async Task A_planted_future_generation_changes_nothing_for_another_garden_and_shows_clamped_on_the_reporter()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var line = "pl-victim-" + suffix;
        await using var victim = await TestGarden.EnrollAndConnect(server, line);
        await using var attacker = await TestGarden.EnrollAndConnect(server, "pl-attacker-" + suffix);
        var subs = await victim.Sync(Subscriptions.NixOS("system", line, ManualAndOnConnect, rules: new[] { new { key = "git_branch", op = "eq", value = "main" } }));
        var sub = subs["system"];
        var ci = await Seeds.Submit(server, line, tags: ("git_branch", "main"));
        var ciArtifact = ci.GetProperty("artifact").GetString()!;

        // The attack: a generation named like the victim's line, tagged like its rule, "created" far in the future.
        var planted = Seeds.Artifact("nixos-system-" + line + "-99.99");
        var before = DateTimeOffset.UtcNow;
        await attacker.Ok(GatewayProtocol.GardenSeedsReport, new
        {
            profiles = new[]
            {
                new
                {
                    profile_path = "/nix/var/nix/profiles/system",
                    tags = new Dictionary<string, string> { ["git_branch"] = "main" },
                    generations = new[] { new { path = planted, link = "/nix/var/nix/profiles/system-9-link", created = "2099-01-01T00:00:00Z", generation_number = 9, is_current = true } },
                },
            },
        });
        var after = DateTimeOffset.UtcNow;
        // Settle: a server that registered reports as seeds did so asynchronously (a Tell to the seed); give it time to land.
        await Task.Delay(TimeSpan.FromSeconds(2));

        // It is not the latest of the line.
        var latest = await server.GetJson($"/api/v1/seeds/latest?name={line}&seed_type=nixos&tags[]=git_branch=main");
        Assert.Equal(ciArtifact, latest.GetProperty("artifact").GetString());

        // The victim's on-connect request and an operator's manual deploy both push the CI seed, never the planted one.
        await victim.Ok(GatewayProtocol.DeploymentRequest, new { request_id = RequestId(), subscription_sids = new[] { sub }, trigger = "poll_on_connect", force = false });
        var (_, onConnect) = await victim.NextPush((n, _) => n == GatewayProtocol.PushDeployment);
        Assert.True(Carries(onConnect, ciArtifact), $"on-connect pushed {onConnect}");
        Assert.False(onConnect.GetProperty("skipped").GetBoolean());

        var (status, _) = await server.PostJson($"/api/v1/subscriptions/{sub}/deploy", new { });
        Assert.InRange(status, 200, 202);
        var (_, manual) = await victim.NextPush((n, _) => n == GatewayProtocol.PushDeployment);
        Assert.True(Carries(manual, ciArtifact), $"manual deploy pushed {manual}");

        // A later CI seed is deployed as itself, not swallowed as a duplicate of the planted "latest".
        var ci2 = await Seeds.Submit(server, line, tags: ("git_branch", "main"));
        await victim.Ok(GatewayProtocol.DeploymentRequest, new { request_id = RequestId(), subscription_sids = new[] { sub }, trigger = "poll_on_connect", force = false });
        var (_, later) = await victim.NextPush((n, _) => n == GatewayProtocol.PushDeployment);
        Assert.True(Carries(later, ci2.GetProperty("artifact").GetString()!), $"the second CI seed was not pushed: {later}");
        Assert.False(later.GetProperty("skipped").GetBoolean());

        // The report is the attacker's own record (read model: given time on a loaded machine), time clamped to the server's clock.
        var row = await Wait.ForAsync(async () =>
        {
            var garden = await server.GetJson($"/api/v1/gardens/{attacker.Sid}");
            return garden.GetProperty("generations").EnumerateArray().Where(g => g.GetProperty("artifact").GetString() == planted)
                .Select(g => (JsonElement?)g).FirstOrDefault() is { } found ? new Box(found) : null;
        }, TimeSpan.FromSeconds(90), "the attacker's reported generation on its garden record");
        Assert.True(row.Value.GetProperty("is_current").GetBoolean());
        var created = DateTimeOffset.Parse(row.Value.GetProperty("created").GetString()!);
        Assert.InRange(created, before.AddSeconds(-1), after.AddSeconds(1));

        // And it is no seed.
        var plantedSid = row.Value.GetProperty("seed_sid").GetString()!;
        Assert.Equal(404, (int)(await server.Admin.GetAsync($"/api/v1/seeds/{plantedSid}")).StatusCode);
    }

    [Fact]
    public async Task A_report_carrying_a_submitted_artifact_adds_nothing_to_that_seed()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await using var reporter = await TestGarden.EnrollAndConnect(server, "pl-runner-" + suffix);
        var ci = await Seeds.Submit(server, "pl-line-" + suffix, tags: ("git_branch", "main"));
        var artifact = ci.GetProperty("artifact").GetString()!;
        await reporter.Ok(GatewayProtocol.GardenSeedsReport, new
        {
            profiles = new[]
            {
                new
                {
                    profile_path = "/nix/var/nix/profiles/system", tags = new Dictionary<string, string> { ["evil"] = "yes" },
                    generations = new[] { new { path = artifact, link = "/nix/var/nix/profiles/system-3-link", created = "2099-01-01T00:00:00Z", generation_number = 3, is_current = true } },
                },
            },
        });
        // The garden's record links the row to the submitted seed (where it runs), and the seed is unchanged.
        await Wait.ForAsync(async () => (await server.GetJson($"/api/v1/gardens/{reporter.Sid}")).GetProperty("generations").GetArrayLength() == 1 ? "" : null,
            TimeSpan.FromSeconds(90), "the report");
        var row = (await server.GetJson($"/api/v1/gardens/{reporter.Sid}")).GetProperty("generations")[0];
        Assert.Equal(ci.GetProperty("sid").GetString(), row.GetProperty("seed_sid").GetString());
        var seed = await server.GetJson($"/api/v1/seeds/{ci.GetProperty("sid").GetString()}");
        Assert.Equal(ci.GetProperty("recency").GetString(), seed.GetProperty("recency").GetString());
        Assert.Equal(1, seed.GetProperty("tags").GetArrayLength());
    }

    private sealed record Box(JsonElement Value);
}
