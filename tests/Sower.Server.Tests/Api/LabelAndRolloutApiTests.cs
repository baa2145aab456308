using System.Net.Http.Json;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>Garden labels, label selectors and rollout plans over the real API and gateway (issue 14): who is refused,
/// and what a hostile value gets.</summary>
public sealed class LabelAndRolloutApiTests(TestServer server) : IClassFixture<TestServer>
{
    private static IEnumerable<string> Errors(JsonElement body) =>
        body.TryGetProperty("errors", out var errors) ? errors.EnumerateArray().Select(e => e.GetString()!) : [];

    [Fact]
    public async Task A_gardens_own_labels_arrive_with_its_sync_and_selectors_filter_the_garden_list()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "labelled-01");
        await garden.Ok(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = new Dictionary<string, string> { ["role"] = "web", ["zone"] = "eu-1" } });

        var seen = await Wait.ForAsync(async () =>
        {
            var r = await server.Admin.GetAsync($"/api/v1/gardens/{garden.Sid}");
            var text = r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
            return text is not null && text.Contains("\"role\":\"web\"", StringComparison.Ordinal) ? text : null;
        }, TimeSpan.FromSeconds(60), "the garden's labels in the read model");
        Assert.Contains("\"zone\":\"eu-1\"", seen);
        var matching = await Wait.ForAsync(async () =>
        {
            var page = await server.GetJson("/api/v1/gardens?label_selector=" + Uri.EscapeDataString("role=web,zone=eu-1"));
            return page.GetProperty("items").EnumerateArray().Any(g => g.GetProperty("sid").GetString() == garden.Sid) ? (object)page : null;
        }, TimeSpan.FromSeconds(60), "the labelled garden in the filtered list");
        var excluded = await server.GetJson("/api/v1/gardens?label_selector=" + Uri.EscapeDataString("role!=web"));
        Assert.DoesNotContain(excluded.GetProperty("items").EnumerateArray(), g => g.GetProperty("sid").GetString() == garden.Sid);
        var detail = await server.GetJson($"/api/v1/gardens/{garden.Sid}");
        Assert.Equal("web", detail.GetProperty("labels").GetProperty("role").GetString());
        Assert.Equal("eu-1", detail.GetProperty("own_labels").GetProperty("zone").GetString());
    }

    [Theory]
    [InlineData("role=web,", "empty requirement")]
    [InlineData("role=a b", "may contain only")]
    [InlineData("", "must not be empty")]
    public async Task A_hostile_selector_is_a_422_that_says_why(string selector, string expected)
    {
        var response = await server.Admin.GetAsync("/api/v1/gardens?label_selector=" + Uri.EscapeDataString(selector));
        Assert.Equal(422, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(Errors(body), e => e.StartsWith("label_selector:", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
        var huge = await server.Admin.GetAsync("/api/v1/gardens?label_selector=" + new string('a', 5000));
        Assert.Equal(422, (int)huge.StatusCode);
    }

    [Fact]
    public async Task A_garden_cannot_sync_invalid_labels_and_keeps_the_ones_it_had()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "labelled-02");
        await garden.Ok(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = new Dictionary<string, string> { ["role"] = "web" } });
        await garden.ErrorCode(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = new Dictionary<string, object> { ["role"] = 5 } });
        await garden.ErrorCode(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = new Dictionary<string, string> { ["-bad"] = "x" } });
        await garden.ErrorCode(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = Enumerable.Range(0, 33).ToDictionary(i => $"k{i}", _ => "v") });
        await garden.ErrorCode(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = "role=web" });
        var detail = await Wait.ForAsync(async () =>
        {
            var r = await server.Admin.GetAsync($"/api/v1/gardens/{garden.Sid}");
            var text = r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
            return text is not null && text.Contains("\"role\":\"web\"", StringComparison.Ordinal) ? text : null;
        }, TimeSpan.FromSeconds(60), "the garden's labels in the read model");
        Assert.Equal("web", JsonDocument.Parse(detail).RootElement.GetProperty("labels").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Only_admins_set_server_side_labels_which_win_over_the_gardens_own()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "labelled-03");
        await garden.Ok(GatewayProtocol.SubscriptionsSync, new { subscriptions = Array.Empty<object>(), labels = new Dictionary<string, string> { ["role"] = "web" } });
        var path = $"/api/v1/gardens/{garden.Sid}/labels";

        var reader = server.Client(await server.TokenWith("garden:read", "deployment:write"));
        Assert.Equal(403, (await server.PostJson(path, new { set = new { role = "canary" } }, reader)).Status);
        Assert.Equal(401, (await server.PostJson(path, new { set = new { role = "canary" } }, server.Client(null))).Status);

        var set = await server.PostJson(path, new { set = new { role = "canary", owner = "ops" } });
        Assert.Equal(200, set.Status);
        Assert.Equal("canary", set.Body.GetProperty("labels").GetProperty("role").GetString());
        Assert.Equal("web", set.Body.GetProperty("own_labels").GetProperty("role").GetString());
        var removed = await server.PostJson(path, new { remove = new[] { "role" } });
        Assert.Equal("web", removed.Body.GetProperty("labels").GetProperty("role").GetString());
        Assert.Equal("ops", removed.Body.GetProperty("labels").GetProperty("owner").GetString());

        var bad = await server.PostJson(path, new { set = new Dictionary<string, object> { ["role"] = "a b", ["x/"] = "y", ["n"] = 1 }, remove = new[] { "-" } });
        Assert.Equal(422, bad.Status);
        Assert.Equal(4, Errors(bad.Body).Count());
        Assert.Equal(422, (await server.PostJson(path, new { })).Status);
        Assert.Equal(422, (await server.PostJson(path, new { set = Enumerable.Range(0, 40).ToDictionary(i => $"k{i}", _ => "v") })).Status);
        Assert.Equal(404, (await server.PostJson("/api/v1/gardens/grdn_abcdefghijklmnopqrstuvwx/labels", new { set = new { a = "b" } })).Status);
    }

    [Fact]
    public async Task Rollout_plans_are_for_admins_and_bad_plans_are_422s_that_name_the_field()
    {
        var path = "/api/v1/rollouts/nixos/api-waves";
        var plan = new { waves = new[] { "canary: role=canary", "25%", "rest" }, soak = "30m", success_threshold = 90 };

        var operatorClient = server.Client(await server.TokenWith("deployment:read", "deployment:write", "seed:write"));
        Assert.Equal(403, (int)(await operatorClient.PutAsync(path + "/plan", JsonContent.Create(plan))).StatusCode);
        Assert.Equal(401, (int)(await server.Client(null).GetAsync(path)).StatusCode);
        Assert.Equal(403, (int)(await server.Client(await server.TokenWith("seed:read")).GetAsync(path)).StatusCode);

        var set = await server.Admin.PutAsync(path + "/plan", JsonContent.Create(plan));
        Assert.Equal(200, (int)set.StatusCode);
        var shown = await server.GetJson(path, operatorClient);
        Assert.Equal(["canary: role=canary", "25%", "rest"], shown.GetProperty("plan").GetProperty("waves").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal("30m", shown.GetProperty("plan").GetProperty("soak").GetString());
        Assert.False(shown.TryGetProperty("rollout", out var none) && none.ValueKind != JsonValueKind.Null);

        var bad = await server.Admin.PutAsync(path + "/plan", JsonContent.Create(new { waves = new[] { "rest", "canary: role=", "150%", "x: a=b=c" }, soak = "soon", success_threshold = 0 }));
        Assert.Equal(422, (int)bad.StatusCode);
        var errors = Errors(JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement).ToList();
        Assert.Contains(errors, e => e.StartsWith("waves[1]:", StringComparison.Ordinal) && e.Contains("must be the last wave"));
        Assert.Contains(errors, e => e.StartsWith("waves[2]:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("waves[3]:", StringComparison.Ordinal) && e.Contains("only one operator"));
        Assert.Contains(errors, e => e.StartsWith("soak:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("success_threshold:", StringComparison.Ordinal));
        Assert.Equal(422, (int)(await server.Admin.PutAsync(path + "/plan", JsonContent.Create(new { waves = Enumerable.Range(1, 17).Select(i => $"w{i}: {i}%") }))).StatusCode);
        Assert.Equal(400, (int)(await server.Admin.PutAsync(path + "/plan", new StringContent("{nope", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(400, (int)(await server.Admin.PutAsync("/api/v1/rollouts/windows/x/plan", JsonContent.Create(plan))).StatusCode);

        var resume = await server.PostJson(path + "/resume", null, operatorClient);
        Assert.Equal(409, resume.Status);
        Assert.Equal("rollout_not_halted", resume.Body.GetProperty("error").GetString());
        Assert.Equal(409, (await server.PostJson(path + "/abort", null, operatorClient)).Status);
        Assert.Equal(403, (await server.PostJson(path + "/abort", null, server.Client(await server.TokenWith("deployment:read")))).Status);

        Assert.Equal(403, (int)(await operatorClient.DeleteAsync(path + "/plan")).StatusCode);
        var cleared = await server.Admin.DeleteAsync(path + "/plan");
        Assert.Equal(200, (int)cleared.StatusCode);
        Assert.False((await server.GetJson(path)).TryGetProperty("plan", out var gone) && gone.ValueKind != JsonValueKind.Null);
    }
}
