using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>Seed registry and garden endpoints: validation, exact 404 texts, rename/promote, presence.</summary>
public sealed class SeedAndGardenApiTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Seed_queries_validate_their_parameters_and_answer_404_with_the_exact_texts()
    {
        var client = server.Admin;
        Assert.Equal(400, (int)(await client.GetAsync("/api/v1/seeds?name=x")).StatusCode);
        Assert.Equal(400, (int)(await client.GetAsync("/api/v1/seeds?name=x&seed_type=windows")).StatusCode);
        Assert.Equal(400, (int)(await client.GetAsync("/api/v1/seeds/latest?name=x")).StatusCode);
        Assert.Equal(400, (int)(await client.GetAsync("/api/v1/seeds/latest?name=x&seed_type=nixos&tags[]=novalue")).StatusCode);
        Assert.Equal(400, (int)(await client.GetAsync("/api/v1/seeds?page=0")).StatusCode);

        var latest = await client.GetAsync("/api/v1/seeds/latest?name=nothing-here&seed_type=nixos");
        Assert.Equal(404, (int)latest.StatusCode);
        Assert.Equal("""{"error":"seed not found"}""", await latest.Content.ReadAsStringAsync());
        var one = await client.GetAsync("/api/v1/seeds/seed_abcdefghijklmnopqrstuvwx");
        Assert.Equal(404, (int)one.StatusCode);
        Assert.Equal("""{"error":"not found"}""", await one.Content.ReadAsStringAsync());
        Assert.Equal(404, (int)(await client.GetAsync("/api/v1/seeds/not-a-sid")).StatusCode);

        var bad = await server.PostJson("/api/v1/seeds", new { name = "x", seed_type = "nixos", artifact = "/nix/store/short", tags = new[] { new { key = "", value = "v" } } });
        Assert.Equal(422, bad.Status);
        Assert.Contains("artifact: invalid path", bad.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        var malformed = await client.PostAsync("/api/v1/seeds", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)malformed.StatusCode);
    }

    [Fact]
    public async Task Resubmission_adds_tags_renames_only_on_request_and_moves_recency_only_with_promote()
    {
        var artifact = Seeds.Artifact("nixos-system-api-web-24.05");
        var created = await Seeds.Submit(server, "api-web", artifact, "", ("a", "1"));
        var again = await server.PostJson("/api/v1/seeds", new { name = "api-web-renamed", seed_type = "nixos", artifact, tags = new[] { new { key = "b", value = "2" } } });
        Assert.Equal(200, again.Status);
        Assert.Equal("api-web", again.Body.GetProperty("name").GetString());
        Assert.Equal(created.GetProperty("recency").GetString(), again.Body.GetProperty("recency").GetString());
        Assert.Equal(["a=1", "b=2"], again.Body.GetProperty("tags").EnumerateArray().Select(t => $"{t.GetProperty("key").GetString()}={t.GetProperty("value").GetString()}"));

        var promoted = await server.PostJson("/api/v1/seeds?rename=true&promote=true", new { name = "api-web-renamed", seed_type = "nixos", artifact, tags = Array.Empty<object>() });
        Assert.Equal(200, promoted.Status);
        Assert.Equal("api-web-renamed", promoted.Body.GetProperty("name").GetString());
        Assert.NotEqual(created.GetProperty("recency").GetString(), promoted.Body.GetProperty("recency").GetString());

        await Wait.ForAsync(async () =>
        {
            var r = await server.Admin.GetAsync("/api/v1/seeds/latest?name=api-web-renamed&seed_type=nixos&tags[]=b=2");
            return r.IsSuccessStatusCode ? "moved" : null;
        }, "the renamed seed in its new line");
        var list = await server.GetJson("/api/v1/seeds?name=api-web-renamed&seed_type=nixos");
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal(404, (int)(await server.Admin.GetAsync("/api/v1/seeds?name=api-web&seed_type=nixos")).StatusCode);
    }

    [Fact]
    public async Task Retired_seeds_and_removed_tags_stop_matching_and_both_changes_are_audited_events()
    {
        var older = await Seeds.Submit(server, "api-retire", null, "", ("branch", "main"));
        var newer = await Seeds.Submit(server, "api-retire", null, "", ("branch", "main"), ("extra", "1"));
        async Task<string?> Latest(string query) => await Wait.ForAsync(async () =>
        {
            var r = await server.Admin.GetAsync("/api/v1/seeds/latest?name=api-retire&seed_type=nixos" + query);
            return r.IsSuccessStatusCode ? JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("sid").GetString() : "none";
        }, "latest");
        await Wait.ForAsync(async () => await Latest("") == newer.GetProperty("sid").GetString() ? "" : null, "the newer seed as latest");

        var (removeStatus, removed) = await DeleteJson($"/api/v1/seeds/{newer.GetProperty("sid").GetString()}/tags?key=extra&value=1");
        Assert.Equal(200, removeStatus);
        Assert.DoesNotContain(removed.GetProperty("tags").EnumerateArray(), t => t.GetProperty("key").GetString() == "extra");
        await Wait.ForAsync(async () => await Latest("&tags[]=extra=1") == "none" ? "" : null, "the removed tag to stop matching");

        var (retireStatus, retired) = await server.PostJson($"/api/v1/seeds/{newer.GetProperty("sid").GetString()}/retire", null);
        Assert.Equal(200, retireStatus);
        Assert.True(retired.GetProperty("retired").GetBoolean());
        await Wait.ForAsync(async () => await Latest("&tags[]=branch=main") == older.GetProperty("sid").GetString() ? "" : null,
            "the retired seed to leave latest-selection");
        Assert.Equal(404, (await server.PostJson("/api/v1/seeds/seed_zzzzzzzzzzzzzzzzzzzzzzzz/retire", null)).Status);
        Assert.Equal(400, (await DeleteJson($"/api/v1/seeds/{older.GetProperty("sid").GetString()}/tags?key=branch")).Status);
    }

    [Fact]
    public async Task Deleting_a_garden_drops_its_connection_revokes_its_credential_and_keeps_its_deployments()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "doomed-web");
        await garden.Sync(Subscriptions.NixOS("system", "doomed-web", Subscriptions.RealtimePolicy));
        await Seeds.Submit(server, "doomed-web");
        var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        var closed = new TaskCompletionSource();
        garden.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };

        var response = await server.Admin.DeleteAsync($"/api/v1/gardens/{garden.Sid}");
        Assert.Equal(204, (int)response.StatusCode);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        using var old = server.Client(garden.Credential);
        Assert.Equal(401, (int)(await old.GetAsync("/api/v1/auth/verify")).StatusCode);
        await Wait.ForAsync(async () => (int)(await server.Admin.GetAsync($"/api/v1/gardens/{garden.Sid}")).StatusCode == 404 ? "" : null, "the garden gone");
        Assert.Equal(200, (int)(await server.Admin.GetAsync($"/api/v1/deployments/{push.GetProperty("sid").GetString()}")).StatusCode);
        Assert.Equal(404, (int)(await server.Admin.DeleteAsync($"/api/v1/gardens/{garden.Sid}")).StatusCode);
    }

    [Fact]
    public async Task Concurrent_submissions_of_one_artifact_create_one_seed_and_concurrent_enrolments_one_garden_with_one_credential()
    {
        var artifact = Seeds.Artifact("nixos-system-race-24.05");
        var submissions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            server.PostJson("/api/v1/seeds", new { name = "race", seed_type = "nixos", artifact, tags = Array.Empty<object>() })));
        Assert.Equal(1, submissions.Count(s => s.Status == 201));
        Assert.Equal(7, submissions.Count(s => s.Status == 200));
        Assert.Single(submissions.Select(s => s.Body.GetProperty("sid").GetString()).Distinct());

        var host = "race-host-" + Guid.NewGuid();
        var enrolments = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            server.PostJson("/api/v1/gardens/register", new { name = "race", host_identifier = host })));
        Assert.All(enrolments, e => Assert.Equal(201, e.Status));
        Assert.Single(enrolments.Select(e => e.Body.GetProperty("sid").GetString()).Distinct());
        var valid = 0;
        foreach (var e in enrolments)
        {
            using var client = server.Client(e.Body.GetProperty("credential").GetString());
            if ((await client.GetAsync("/api/v1/auth/verify")).IsSuccessStatusCode) valid++;
        }
        Assert.Equal(1, valid);
    }

    private async Task<(int Status, JsonElement Body)> DeleteJson(string path)
    {
        var response = await server.Admin.DeleteAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_garden_is_online_while_its_session_is_open_and_re_enrolment_rotates_the_credential()
    {
        var host = "presence-" + Guid.NewGuid();
        var garden = await TestGarden.EnrollAndConnect(server, "presence-web", host);
        await garden.Ok(GatewayProtocol.GardenReport, new { version = "1.2.3" });
        var online = await Wait.ForAsync(async () =>
        {
            var g = await server.GetJson($"/api/v1/gardens/{garden.Sid}");
            return g.GetProperty("online").GetBoolean() && g.TryGetProperty("version", out var v) && v.GetString() == "1.2.3" ? Tuple.Create(g) : null;
        }, "the garden online with its version");
        Assert.True(online.Item1.TryGetProperty("online_at", out _));
        await garden.DisposeAsync();
        await Wait.ForAsync(async () => (await server.GetJson($"/api/v1/gardens/{garden.Sid}")).GetProperty("online").GetBoolean() ? null : "offline",
            "the garden offline after disconnect");
        var listed = await server.GetJson("/api/v1/gardens");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), g => g.GetProperty("sid").GetString() == garden.Sid);

        var (status, rebound) = await server.PostJson("/api/v1/gardens/register", new { name = "presence-web", host_identifier = host });
        Assert.Equal(201, status);
        Assert.Equal(garden.Sid, rebound.GetProperty("sid").GetString());
        Assert.True(rebound.GetProperty("rebound").GetBoolean());
        using var old = server.Client(garden.Credential);
        Assert.Equal(401, (int)(await old.GetAsync("/api/v1/auth/verify")).StatusCode);
        await using var again = await TestGarden.Connect(server, garden.Sid, "presence-web", rebound.GetProperty("credential").GetString()!);
        await again.Join();
    }
}
