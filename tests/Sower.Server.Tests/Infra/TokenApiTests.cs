using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Tests.Infra;

/// <summary>Authentication, authorization and the token API over real HTTP (REFERENCE §6.14, §6.15, §11 items 2, 10, 47).</summary>
public sealed class TokenApiTests(InfraHostFixture fixture) : IClassFixture<InfraHostFixture>
{
    private InfraHost Host => fixture.Host;
    private static string Today => LocalDatePattern.Iso.Format(SystemClock.Instance.GetCurrentInstant().InUtc().Date);
    private static string Yesterday => LocalDatePattern.Iso.Format(SystemClock.Instance.GetCurrentInstant().InUtc().Date.PlusDays(-1));
    private static string Tomorrow => LocalDatePattern.Iso.Format(SystemClock.Instance.GetCurrentInstant().InUtc().Date.PlusDays(1));

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task AssertJson(HttpResponseMessage response, HttpStatusCode status, string body)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<(string Sid, string Token)> CreateAsync(string callerToken, string description, params string[] roles)
    {
        using var client = Host.Client(callerToken);
        var response = await client.PostAsJsonAsync("/api/v1/tokens", new { description, roles });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await Json(response);
        return (body.GetProperty("sid").GetString()!, body.GetProperty("token").GetString()!);
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_request_without_a_token_gets_a_json_401()
    {
        using var client = Host.Client();
        await AssertJson(await client.GetAsync("/api/v1/auth/verify"), HttpStatusCode.Unauthorized, """{"error":"unauthorized"}""");
        await AssertJson(await client.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized, """{"error":"unauthorized"}""");
        await AssertJson(await client.GetAsync($"/probe/{Roles.SeedRead}"), HttpStatusCode.Unauthorized, """{"error":"unauthorized"}""");
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("garbage")]
    [InlineData("Bearer sower_x_y")]
    [InlineData("Bearer sower_aaaaaaaaaaaaaaaaaaaaaaaa_c2VjcmV0")]
    [InlineData("Bearer sower_aaaaaaaaaaaaaaaaaaaaaaaa_a_b")]
    [InlineData("Bearer sower__c2VjcmV0")]
    [InlineData("Bearer ,;\"\\")]
    public async Task A_missing_garbled_or_unknown_token_gets_the_same_clean_401(string header)
    {
        using var client = Host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/verify");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        await AssertJson(await client.SendAsync(request), HttpStatusCode.Unauthorized, """{"error":"unauthorized"}""");
    }

    [Fact]
    public async Task A_wrong_secret_for_a_real_sid_and_two_authorization_headers_get_401()
    {
        var (sid, token) = await CreateAsync(Host.AdminToken, "victim", Roles.SeedRead);
        using var client = Host.Client();
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/verify");
        wrong.Headers.TryAddWithoutValidation("Authorization", $"Bearer sower_{sid}_{AccessTokenFormat.NewSecret()}");
        await AssertJson(await client.SendAsync(wrong), HttpStatusCode.Unauthorized, """{"error":"unauthorized"}""");

        using var twice = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/verify");
        twice.Headers.TryAddWithoutValidation("Authorization", [$"Bearer {token}", $"Bearer {token}"]);
        await AssertJson(await client.SendAsync(twice), HttpStatusCode.Unauthorized, """{"error":"unauthorized"}""");
    }

    [Fact]
    public async Task Verify_returns_sid_description_permissions_and_expiry_date()
    {
        var (sid, token) = await CreateAsync(Host.AdminToken, "verify me", Roles.SeedRead, Roles.GardenRead);
        using var client = Host.Client(token);
        var response = await client.GetAsync("/api/v1/auth/verify");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            $$"""{"sid":"{{sid}}","description":"verify me","permissions":["seed:read","garden:read"],"expires_at":"{{Tomorrow}}"}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_without_the_role_gets_a_json_403_and_admin_satisfies_every_role_but_garden()
    {
        var (_, reader) = await CreateAsync(Host.AdminToken, "reader", Roles.SeedRead);
        using var readerClient = Host.Client(reader);
        Assert.Equal(HttpStatusCode.OK, (await readerClient.GetAsync($"/probe/{Roles.SeedRead}")).StatusCode);
        await AssertJson(await readerClient.GetAsync($"/probe/{Roles.SeedWrite}"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
        await AssertJson(await readerClient.GetAsync($"/probe/{Roles.Admin}"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");

        using var admin = Host.Client(Host.AdminToken);
        foreach (var role in Roles.Mintable)
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/probe/{role}")).StatusCode);
        await AssertJson(await admin.GetAsync($"/probe/{Roles.Garden}"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
    }

    [Fact]
    public async Task Create_shows_the_token_once_then_list_regenerate_and_revoke_take_effect_immediately()
    {
        using var admin = Host.Client(Host.AdminToken);
        var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { description = "deployer", roles = new[] { Roles.DeploymentWrite }, expires_on = Today });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await Json(created);
        var sid = body.GetProperty("sid").GetString()!;
        var token = body.GetProperty("token").GetString()!;
        Assert.StartsWith($"sower_{sid}_", token);
        Assert.Equal("deployer", body.GetProperty("description").GetString());
        Assert.Equal(Today, body.GetProperty("expires_on").GetString());
        Assert.Equal([Roles.DeploymentWrite], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());

        var listed = (await Json(await admin.GetAsync("/api/v1/tokens"))).EnumerateArray().Single(t => t.GetProperty("sid").GetString() == sid);
        Assert.False(listed.TryGetProperty("token", out _));
        Assert.DoesNotContain(token.Split('_')[2], listed.GetRawText());

        using var user = Host.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/v1/auth/verify")).StatusCode);

        var regenerated = await admin.PostAsync($"/api/v1/tokens/{sid}/regenerate", Body($$"""{"expires_on":"{{Tomorrow}}"}"""));
        Assert.Equal(HttpStatusCode.OK, regenerated.StatusCode);
        var newBody = await Json(regenerated);
        var newToken = newBody.GetProperty("token").GetString()!;
        Assert.Equal(sid, newBody.GetProperty("sid").GetString());
        Assert.Equal(Tomorrow, newBody.GetProperty("expires_on").GetString());
        Assert.NotEqual(token, newToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.GetAsync("/api/v1/auth/verify")).StatusCode);

        using var renewed = Host.Client(newToken);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/v1/auth/verify")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/tokens/{sid}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await renewed.GetAsync("/api/v1/auth/verify")).StatusCode);
        await AssertJson(await admin.DeleteAsync($"/api/v1/tokens/{sid}"), HttpStatusCode.NotFound, """{"error":"not found"}""");
    }

    [Fact]
    public async Task A_non_admin_manager_sees_and_manages_only_itself_and_the_tokens_it_created_and_others_answer_404()
    {
        var (aliceSid, alice) = await CreateAsync(Host.AdminToken, "alice ci", Roles.SeedWrite);
        var (bobSid, bob) = await CreateAsync(Host.AdminToken, "bob ci", Roles.SeedWrite);
        using var asAlice = Host.Client(alice);

        var (childSid, _) = await CreateAsync(alice, "alice child", Roles.SeedWrite);
        var listed = (await Json(await asAlice.GetAsync("/api/v1/tokens"))).EnumerateArray().ToList();
        Assert.Equal(new[] { aliceSid, childSid }.Order(), listed.Select(t => t.GetProperty("sid").GetString()!).Order());
        var child = listed.Single(t => t.GetProperty("sid").GetString() == childSid);
        Assert.Equal(aliceSid, child.GetProperty("owner").GetString());
        Assert.Equal(aliceSid, child.GetProperty("created_by").GetProperty("sid").GetString());
        Assert.Equal("alice ci", child.GetProperty("created_by").GetProperty("description").GetString());

        var adminSid = Host.AdminToken.Split('_')[1];
        foreach (var other in new[] { bobSid, adminSid })
        {
            await AssertJson(await asAlice.DeleteAsync($"/api/v1/tokens/{other}"), HttpStatusCode.NotFound, """{"error":"not found"}""");
            await AssertJson(await asAlice.GetAsync($"/api/v1/tokens/{other}"), HttpStatusCode.NotFound, """{"error":"not found"}""");
            await AssertJson(await asAlice.PostAsync($"/api/v1/tokens/{other}/regenerate", null), HttpStatusCode.NotFound, """{"error":"not found"}""");
        }
        await AssertJson(await asAlice.GetAsync("/api/v1/tokens/not_a_sid"), HttpStatusCode.NotFound, """{"error":"not found"}""");
        using var asBob = Host.Client(bob);
        Assert.Equal(HttpStatusCode.OK, (await asBob.GetAsync("/api/v1/auth/verify")).StatusCode);
        using var admin = Host.Client(Host.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/auth/verify")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await asAlice.PostAsync($"/api/v1/tokens/{childSid}/regenerate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await asAlice.DeleteAsync($"/api/v1/tokens/{childSid}")).StatusCode);

        var all = (await Json(await admin.GetAsync("/api/v1/tokens"))).EnumerateArray().Select(t => t.GetProperty("sid").GetString()).ToList();
        Assert.Contains(bobSid, all);
        Assert.Contains(aliceSid, all);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/tokens/{bobSid}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asBob.GetAsync("/api/v1/auth/verify")).StatusCode);
    }

    [Theory]
    [InlineData(Roles.GardenRegister)]
    [InlineData(Roles.SeedRead)]
    [InlineData(Roles.GardenRead)]
    [InlineData(Roles.DeploymentRead)]
    [InlineData(Roles.NixCacheRead)]
    public async Task Enrollment_and_read_only_tokens_get_403_on_every_token_endpoint_and_the_admin_token_survives(string role)
    {
        var (ownSid, token) = await CreateAsync(Host.AdminToken, "limited " + role, role);
        var adminSid = Host.AdminToken.Split('_')[1];
        using var client = Host.Client(token);
        await AssertJson(await client.GetAsync("/api/v1/tokens"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
        await AssertJson(await client.GetAsync($"/api/v1/tokens/{ownSid}"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
        await AssertJson(await client.DeleteAsync($"/api/v1/tokens/{adminSid}"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
        await AssertJson(await client.PostAsync($"/api/v1/tokens/{adminSid}/regenerate", null), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
        await AssertJson(await client.PostAsJsonAsync("/api/v1/tokens", new { description = "x", roles = new[] { role }, expires_on = "9999-12-31" }),
            HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/verify")).StatusCode);
        using var admin = Host.Client(Host.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/auth/verify")).StatusCode);
    }

    [Fact]
    public async Task A_token_cannot_outlive_its_creator_nor_the_maximum_lifetime_and_422_names_expires_on()
    {
        var limit = SystemClock.Instance.GetCurrentInstant().InUtc().Date.PlusDays(10);
        using var admin = Host.Client(Host.AdminToken);
        var writer = await Json(await admin.PostAsJsonAsync("/api/v1/tokens",
            new { description = "short writer", roles = new[] { Roles.SeedWrite }, expires_on = LocalDatePattern.Iso.Format(limit) }));
        using var asWriter = Host.Client(writer.GetProperty("token").GetString()!);

        var beyond = await asWriter.PostAsJsonAsync("/api/v1/tokens",
            new { description = "longer", roles = new[] { Roles.SeedWrite }, expires_on = LocalDatePattern.Iso.Format(limit.PlusDays(1)) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, beyond.StatusCode);
        var error = Assert.Single((await Json(beyond)).GetProperty("errors").EnumerateArray()).GetString()!;
        Assert.StartsWith($"expires_on: must not be later than the expiry of the requesting token ({LocalDatePattern.Iso.Format(limit)})", error);

        var (_, longWriter) = await CreateAsync(Host.AdminToken, "long writer", Roles.SeedWrite);
        using (var asLong = Host.Client(longWriter))
        {
            var regenerated = await asLong.PostAsync($"/api/v1/tokens/{longWriter.Split('_')[1]}/regenerate", Body("""{"expires_on":"9999-12-31"}"""));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, regenerated.StatusCode);
            Assert.StartsWith("expires_on: must be at most 365 days from today",
                Assert.Single((await Json(regenerated)).GetProperty("errors").EnumerateArray()).GetString());
        }
        var farAway = await asWriter.PostAsJsonAsync("/api/v1/tokens", new { description = "forever", roles = new[] { Roles.SeedWrite }, expires_on = "9999-12-31" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, farAway.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await asWriter.PostAsJsonAsync("/api/v1/tokens",
            new { description = "fits", roles = new[] { Roles.SeedWrite }, expires_on = LocalDatePattern.Iso.Format(limit) })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/tokens",
            new { description = "admin may", roles = new[] { Roles.SeedRead }, expires_on = "2999-12-31" })).StatusCode);
    }

    [Fact]
    public async Task A_past_expiry_date_is_rejected_with_422_and_the_exact_message()
    {
        using var admin = Host.Client(Host.AdminToken);
        var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { description = "old", roles = new[] { Roles.SeedRead }, expires_on = Yesterday });
        await AssertJson(response, HttpStatusCode.UnprocessableEntity,
            """{"error":"expiry date must not be in the past","errors":["expires_on: expiry date must not be in the past"]}""");
    }

    [Theory]
    [InlineData("""{"description":"x","roles":["seed:read","root"]}""", """roles[1]: unknown role \u0022root\u0022""")]
    [InlineData("""{"roles":["seed:read"]}""", "description: required")]
    [InlineData("""{"description":"x"}""", "roles: at least one role is required")]
    [InlineData("""{"description":"x","roles":"seed:read"}""", "roles: must be a list of role names")]
    [InlineData("""{"description":"x","roles":[1]}""", "roles[0]: must be a string")]
    [InlineData("""{"description":"x","roles":["seed:read"],"expires_on":"31.12.2030"}""", """expires_on: must be a date YYYY-MM-DD, got \u002231.12.2030\u0022""")]
    [InlineData("""{"description":"x","roles":["seed:read"],"owner":"user_x"}""", "owner: unknown field")]
    public async Task Invalid_token_requests_answer_422_with_every_problem(string json, string expectedError)
    {
        using var admin = Host.Client(Host.AdminToken);
        var response = await admin.PostAsync("/api/v1/tokens", Body(json));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await Json(response)).GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(JsonSerializer.Deserialize<string>($"\"{expectedError}\""), errors);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{\"description\":")]
    public async Task Unreadable_bodies_answer_400_with_errors_never_500(string json)
    {
        using var admin = Host.Client(Host.AdminToken);
        var response = await admin.PostAsync("/api/v1/tokens", Body(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotEmpty((await Json(response)).GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task No_token_can_mint_a_role_it_does_not_hold_and_nobody_mints_garden()
    {
        var (_, writer) = await CreateAsync(Host.AdminToken, "writer", Roles.SeedWrite);
        using var asWriter = Host.Client(writer);
        var escalate = await asWriter.PostAsJsonAsync("/api/v1/tokens", new { description = "more", roles = new[] { Roles.SeedWrite, Roles.DeploymentWrite } });
        Assert.Equal(HttpStatusCode.Forbidden, escalate.StatusCode);
        var body = await Json(escalate);
        Assert.Equal("forbidden", body.GetProperty("error").GetString());
        Assert.Equal(["roles: cannot grant \"deployment:write\", which the requesting token does not hold"],
            body.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var same = await asWriter.PostAsJsonAsync("/api/v1/tokens", new { description = "same", roles = new[] { Roles.SeedWrite } });
        Assert.Equal(HttpStatusCode.Created, same.StatusCode);

        using var admin = Host.Client(Host.AdminToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("/api/v1/tokens", new { description = "g", roles = new[] { Roles.Garden } })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/tokens", new { description = "a", roles = new[] { Roles.Admin } })).StatusCode);
    }

    [Fact]
    public async Task A_garden_credential_authenticates_but_cannot_manage_tokens()
    {
        var garden = GardenId.New();
        var credential = await Host.AskTokensAsync<AccessTokenIssued>(new CreateAccessToken("garden web01", [Roles.Garden], null, Actor.Server, garden, ByServer: true));
        using var client = Host.Client(credential.Plaintext);
        var verify = await Json(await client.GetAsync("/api/v1/auth/verify"));
        Assert.Equal(JsonValueKind.Null, verify.GetProperty("expires_at").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/probe/{Roles.Garden}")).StatusCode);
        await AssertJson(await client.GetAsync("/api/v1/tokens"), HttpStatusCode.Forbidden, """{"error":"forbidden"}""");
    }

    [Fact]
    public async Task The_access_token_query_parameter_works_on_hub_paths_only()
    {
        var (sid, token) = await CreateAsync(Host.AdminToken, "hub", Roles.SeedRead);
        using var client = Host.Client();
        var hub = await client.GetAsync($"/hubs/probe?access_token={Uri.EscapeDataString(token)}");
        Assert.Equal(HttpStatusCode.OK, hub.StatusCode);
        Assert.Equal(sid, (await Json(hub)).GetProperty("sid").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/v1/auth/verify?access_token={Uri.EscapeDataString(token)}")).StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_answer_small_json_bodies_without_a_token()
    {
        using var client = Host.Client();
        var live = await client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", (await Json(live)).GetProperty("status").GetString());

        var ready = await Json(await client.GetAsync("/healthz/ready"));
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        var checks = ready.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("akka.cluster.join", checks);
        Assert.Contains("sower.database.connectivity", checks);
        Assert.Contains("akka.persistence.journal.sql", checks);
    }
}
