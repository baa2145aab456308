using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>
/// <c>POST /api/v1/deployments/by-selector</c> (issue 14.1, <c>sower deploy -l</c>) against the real server and gateway:
/// every matching garden's chosen subscription gets a manual deployment under its own policy; a selector that matches
/// nothing, or a hostile value, deploys nothing. The garden JSON also shows a reported inhibition (issue 14.4).
/// </summary>
public sealed class SelectorDeployApiTests(TestServer server) : IClassFixture<TestServer>
{
    private static readonly object ManualPolicy = new Dictionary<string, object>
    {
        ["by-hand"] = new { actions = new[] { "activate" }, triggers = new[] { "manual" } },
    };

    private static readonly object NeverManual = new Dictionary<string, object>
    {
        ["nightly"] = new { actions = new[] { "activate" }, triggers = new[] { "scheduled" } },
    };

    private static IEnumerable<string> Errors(JsonElement body) =>
        body.TryGetProperty("errors", out var errors) ? errors.EnumerateArray().Select(e => e.GetString()!) : [];

    private async Task<TestGarden> Garden(string name, string role, params object[] subscriptions)
    {
        var garden = await TestGarden.EnrollAndConnect(server, name);
        await garden.Sync(subscriptions);
        var (status, body) = await server.PostJson($"/api/v1/gardens/{garden.Sid}/labels", new { set = new Dictionary<string, string> { ["role"] = role } });
        Assert.True(status == 200, $"labels answered {status}: {body}");
        return garden;
    }

    private async Task WaitForMatches(string selector, int count) =>
        await Wait.ForAsync(async () =>
        {
            var page = await server.GetJson("/api/v1/gardens?label_selector=" + Uri.EscapeDataString(selector));
            return page.GetProperty("items").GetArrayLength() == count ? (object)page : null;
        }, TimeSpan.FromSeconds(60), $"{count} gardens matching {selector}");

    [Fact]
    public async Task Every_matching_garden_gets_a_manual_deployment_under_its_own_policy_and_the_answer_says_what_each_got()
    {
        await using var web01 = await Garden("sel-web01", "sel-web", Subscriptions.NixOS("system", "sel-line", ManualPolicy));
        await using var web02 = await Garden("sel-web02", "sel-web", Subscriptions.NixOS("system", "sel-line", NeverManual));
        await using var web03 = await Garden("sel-web03", "sel-web", Subscriptions.NixOS("other", "sel-line", ManualPolicy));
        await using var db01 = await Garden("sel-db01", "sel-db", Subscriptions.NixOS("system", "sel-line", ManualPolicy));
        await Seeds.Submit(server, "sel-line");
        await WaitForMatches("role=sel-web", 3);
        await WaitForMatches("role=sel-db", 1);

        var (status, body) = await server.PostJson("/api/v1/deployments/by-selector", new { label_selector = "role=sel-web", subscription = "system" });
        Assert.True(status == 202, $"answered {status}: {body}");
        Assert.Equal("role=sel-web", body.GetProperty("label_selector").GetString());
        Assert.Equal(3, body.GetProperty("gardens").GetInt32());
        Assert.Equal(1, body.GetProperty("requested").GetInt32());
        Assert.Equal(1, body.GetProperty("denied_by_policy").GetInt32());
        Assert.Equal(1, body.GetProperty("skipped").GetInt32());
        var results = body.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("garden_name").GetString()!);
        Assert.Equal(["sel-web01", "sel-web02", "sel-web03"], results.Keys.Order());
        Assert.Equal("requested", results["sel-web01"].GetProperty("outcome").GetString());
        Assert.Equal("denied_by_policy", results["sel-web02"].GetProperty("outcome").GetString());
        Assert.Equal("skipped", results["sel-web03"].GetProperty("outcome").GetString());
        Assert.Contains("no subscription named system", results["sel-web03"].GetProperty("error").GetString());

        // The deployment is a manual one like any other, audited with the caller.
        var deployment = results["sel-web01"].GetProperty("deployment_sid").GetString()!;
        var detail = await Wait.ForAsync(async () =>
        {
            var r = await server.Admin.GetAsync($"/api/v1/deployments/{deployment}");
            return r.IsSuccessStatusCode ? (object)JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone() : null;
        }, TimeSpan.FromSeconds(30), "the deployment");
        var d = (JsonElement)detail;
        Assert.Equal("manual", d.GetProperty("trigger").GetString());
        Assert.Equal(web01.Sid, d.GetProperty("garden_sid").GetString());
        Assert.Contains(d.GetProperty("events").EnumerateArray(), e => e.TryGetProperty("actor", out var a) && a.GetString() is { Length: > 0 });

        // Without a subscription name every subscription of the matching gardens is deployed (db01 is never touched).
        var (_, all) = await server.PostJson("/api/v1/deployments/by-selector", new { label_selector = "role=sel-web,!missing", seed_type = "nixos" });
        Assert.Equal(2, all.GetProperty("requested").GetInt32());
        Assert.DoesNotContain(all.GetProperty("results").EnumerateArray(), r => r.GetProperty("garden_sid").GetString() == db01.Sid);
    }

    [Fact]
    public async Task A_selector_that_matches_no_garden_deploys_nothing_and_says_so()
    {
        var (status, body) = await server.PostJson("/api/v1/deployments/by-selector", new { label_selector = "role=nobody-has-this" });
        Assert.Equal(404, status);
        Assert.Equal("no_gardens_match", body.GetProperty("error").GetString());
        Assert.Contains("role=nobody-has-this", body.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{}""", "label_selector: required")]
    [InlineData("""{"label_selector":""}""", "label_selector: required")]
    [InlineData("""{"label_selector":"role=a b"}""", "label_selector:")]
    [InlineData("""{"label_selector":"role=web,"}""", "empty requirement")]
    [InlineData("""{"label_selector":"role=web","subscription":"sys\ntem"}""", "subscription:")]
    [InlineData("""{"label_selector":"role=web","subscription":""}""", "subscription:")]
    [InlineData("""{"label_selector":"role=web","seed_type":"docker"}""", "seed_type:")]
    [InlineData("""{"label_selector":"role=web","seed_sid":"../../etc/passwd"}""", "seed_sid:")]
    public async Task Hostile_or_malformed_requests_are_a_422_that_says_why(string json, string expected)
    {
        var response = await server.Admin.PostAsync("/api/v1/deployments/by-selector", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(422, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(Errors(body), e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_huge_selector_or_a_non_json_body_is_refused()
    {
        var (status, _) = await server.PostJson("/api/v1/deployments/by-selector", new { label_selector = new string('a', 5000) });
        Assert.Equal(422, status);
        var response = await server.Admin.PostAsync("/api/v1/deployments/by-selector", new StringContent("label_selector=role=web", System.Text.Encoding.UTF8, "text/plain"));
        Assert.InRange((int)response.StatusCode, 400, 422);
    }

    [Fact]
    public async Task A_reported_inhibition_shows_in_the_garden_list_and_detail_until_it_ends()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "inhibited-01");
        var detail = (JsonElement)await Wait.ForAsync(async () =>
        {
            var r = await server.Admin.GetAsync($"/api/v1/gardens/{garden.Sid}");
            return r.IsSuccessStatusCode ? (object)JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone() : null;
        }, TimeSpan.FromSeconds(30), "the garden in the read model");
        Assert.False(detail.GetProperty("inhibited").GetBoolean());
        Assert.False(detail.TryGetProperty("inhibition", out _));

        await garden.Ok(GatewayProtocol.GardenInhibition, new { inhibited = true, reason = "inhibit file /run/sower/inhibit exists" });
        detail = await server.GetJson($"/api/v1/gardens/{garden.Sid}");
        Assert.True(detail.GetProperty("inhibited").GetBoolean());
        Assert.Equal("inhibit file /run/sower/inhibit exists", detail.GetProperty("inhibition").GetProperty("reason").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT", detail.GetProperty("inhibition").GetProperty("since").GetString());
        var listed = Assert.Single((await server.GetJson("/api/v1/gardens?per_page=200")).GetProperty("items").EnumerateArray(),
            g => g.GetProperty("sid").GetString() == garden.Sid);
        Assert.True(listed.GetProperty("inhibited").GetBoolean());
        Assert.Equal("inhibit file /run/sower/inhibit exists", listed.GetProperty("inhibition").GetProperty("reason").GetString());

        await garden.Ok(GatewayProtocol.GardenInhibition, new { inhibited = false, reason = (string?)null });
        detail = await server.GetJson($"/api/v1/gardens/{garden.Sid}");
        Assert.False(detail.GetProperty("inhibited").GetBoolean());
        Assert.False(detail.TryGetProperty("inhibition", out _));
    }
}
