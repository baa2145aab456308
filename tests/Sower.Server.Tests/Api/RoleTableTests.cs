using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>
/// Every endpoint and the garden hub × every role: no token → 401, a token without the role → 403, the right role (or
/// admin, except for the garden-only hub) → neither. Bodies are deliberately minimal: this proves authorization only.
/// </summary>
public sealed class RoleTableTests(TestServer server) : IClassFixture<TestServer>
{
    private const string Dply = "dply_aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Sub = "sub_aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string SeedSid = "seed_aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string GardenSid = "grdn_aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Nxc = "nxc_aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Enr = "enr_aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Whk = "whk_aaaaaaaaaaaaaaaaaaaaaaaa";

    public static TheoryData<string, string, string> Endpoints => new()
    {
        { "GET", "/api/v1/seeds", Roles.SeedRead },
        { "GET", "/api/v1/seeds/latest?name=x&seed_type=nixos", Roles.SeedRead },
        { "GET", $"/api/v1/seeds/{SeedSid}", Roles.SeedRead },
        { "POST", "/api/v1/seeds", Roles.SeedWrite },
        { "POST", $"/api/v1/seeds/{SeedSid}/retire", Roles.SeedWrite },
        { "DELETE", $"/api/v1/seeds/{SeedSid}/tags?key=a&value=b", Roles.SeedWrite },
        { "POST", "/api/v1/gardens/register", Roles.GardenRegister },
        { "GET", "/api/v1/gardens", Roles.GardenRead },
        { "GET", $"/api/v1/gardens/{GardenSid}", Roles.GardenRead },
        { "DELETE", $"/api/v1/gardens/{GardenSid}", Roles.Admin },
        { "GET", "/api/v1/gardens/enrollments", Roles.Admin },
        { "POST", $"/api/v1/gardens/enrollments/{Enr}/approve", Roles.Admin },
        { "POST", $"/api/v1/gardens/enrollments/{Enr}/reject", Roles.Admin },
        { "POST", $"/api/v1/gardens/enrollments/{Enr}/claim", Roles.GardenRegister },
        { "GET", "/api/v1/gardens/deleted", Roles.Admin },
        { "POST", $"/api/v1/gardens/{GardenSid}/restore", Roles.Admin },
        { "GET", "/api/v1/deployments", Roles.DeploymentRead },
        { "GET", $"/api/v1/deployments/{Dply}", Roles.DeploymentRead },
        { "POST", $"/api/v1/subscriptions/{Sub}/deploy", Roles.DeploymentWrite },
        { "POST", $"/api/v1/deployments/{Dply}/retry", Roles.DeploymentWrite },
        { "POST", "/api/v1/deployments/by-selector", Roles.DeploymentWrite },
        { "POST", $"/api/v1/deployments/{Dply}/approve", Roles.DeploymentWrite },
        { "POST", $"/api/v1/deployments/{Dply}/reject", Roles.DeploymentWrite },
        { "POST", "/api/v1/nix/caches", Roles.Admin },
        { "PUT", $"/api/v1/nix/caches/{Nxc}", Roles.Admin },
        { "DELETE", $"/api/v1/nix/caches/{Nxc}", Roles.Admin },
        { "GET", "/api/v1/webhooks", Roles.Admin },
        { "POST", "/api/v1/webhooks", Roles.Admin },
        { "DELETE", $"/api/v1/webhooks/{Whk}", Roles.Admin },
        { "POST", $"/api/v1/webhooks/{Whk}/test", Roles.Admin },
        { "GET", "/api/v1/webhooks/outbox", Roles.Admin },
        { "GET", "/api/v1/reboot-locks", Roles.GardenRead },
        { "PUT", "/api/v1/reboot-locks/rules", Roles.Admin },
        { "DELETE", $"/api/v1/reboot-locks/{GardenSid}", Roles.Admin },
        { "GET", "/metrics", Roles.MetricsRead },
    };

    private static readonly string[] MintableRoles =
        [Roles.SeedRead, Roles.SeedWrite, Roles.NixCacheRead, Roles.GardenRegister, Roles.GardenRead, Roles.DeploymentRead, Roles.DeploymentWrite, Roles.MetricsRead, Roles.Admin];

    private static async Task<HttpStatusCode> Call(HttpClient client, string method, string path) =>
        (await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? JsonContent.Create(new { }) : null,
        })).StatusCode;

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_is_open_to_its_role_and_admin_only(string method, string path, string role)
    {
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(anonymous, method, path));
        using var bogus = server.Client("sower_nobody_bm9ib2R5");
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(bogus, method, path));
        foreach (var held in MintableRoles)
        {
            using var client = server.Client(await server.TokenWith(held));
            var status = await Call(client, method, path);
            if (held == role || held == Roles.Admin)
            {
                Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.InternalServerError),
                    $"{method} {path} with {held} answered {(int)status}");
            }
            else
            {
                Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path} with {held} answered {(int)status}, expected 403");
            }
        }
    }

    /// <summary>The token endpoints, each against the caller's own token ("own") or another token ("other": for a
    /// non-admin the fixture's admin token, for an admin a spare admin token so the fixture keeps working).</summary>
    public static TheoryData<string, string, string> TokenEndpoints => new()
    {
        { "GET", "/api/v1/tokens", "" },
        { "GET", "/api/v1/tokens/{own}", "own" },
        { "GET", "/api/v1/tokens/{other}", "other" },
        { "POST", "/api/v1/tokens", "" },
        { "POST", "/api/v1/tokens/{own}/regenerate", "own" },
        { "POST", "/api/v1/tokens/{other}/regenerate", "other" },
        { "DELETE", "/api/v1/tokens/{own}", "own" },
        { "DELETE", "/api/v1/tokens/{other}", "other" },
    };

    /// <summary>Issue 12 finding 1, per role (token kind: a user token minted by the admin): enrollment and read-only
    /// tokens get 403 everywhere; seed:write and deployment:write manage only themselves (another token is 404);
    /// admin manages every token. No token: 401.</summary>
    [Theory]
    [MemberData(nameof(TokenEndpoints))]
    public async Task Token_endpoint_by_role_managers_manage_their_own_only_admin_manages_others_and_the_rest_get_403(string method, string path, string target)
    {
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(anonymous, method, path.Replace("{own}", "aaaaaaaaaaaaaaaaaaaaaaaa").Replace("{other}", "aaaaaaaaaaaaaaaaaaaaaaaa")));
        var fixtureAdmin = server.AdminToken.Split('_')[1];
        foreach (var held in MintableRoles)
        {
            var token = await server.TokenWith(held);
            var own = token.Split('_')[1];
            var other = held == Roles.Admin ? (await server.TokenWith(Roles.Admin)).Split('_')[1] : fixtureAdmin;
            using var client = server.Client(token);
            var status = await CallToken(client, method, path.Replace("{own}", own).Replace("{other}", other), held);
            var expected = held switch
            {
                Roles.Admin => method switch { "POST" when target == "" => HttpStatusCode.Created, "DELETE" => HttpStatusCode.NoContent, _ => HttpStatusCode.OK },
                Roles.SeedWrite or Roles.DeploymentWrite when target == "other" => HttpStatusCode.NotFound,
                Roles.SeedWrite or Roles.DeploymentWrite => method switch { "POST" when target == "" => HttpStatusCode.Created, "DELETE" => HttpStatusCode.NoContent, _ => HttpStatusCode.OK },
                _ => HttpStatusCode.Forbidden,
            };
            Assert.True(status == expected, $"{method} {path} with {held} answered {(int)status}, expected {(int)expected}");
        }
        using var admin = server.Client(server.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/auth/verify")).StatusCode);
    }

    [Fact]
    public async Task A_garden_credential_gets_403_on_every_token_endpoint()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "roles-token-garden");
        using var client = server.Client(garden.Credential);
        var own = garden.Credential.Split('_')[1];
        foreach (var (method, path, _) in TokenEndpoints.Select(row => ((string)row[0], (string)row[1], (string)row[2])))
        {
            Assert.Equal(HttpStatusCode.Forbidden, await CallToken(client, method, path.Replace("{own}", own).Replace("{other}", server.AdminToken.Split('_')[1]), Roles.Garden));
        }
    }

    private static async Task<HttpStatusCode> CallToken(HttpClient client, string method, string path, string role) =>
        (await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" && path == "/api/v1/tokens" ? JsonContent.Create(new { description = "matrix", roles = new[] { role } })
                : method == "POST" ? JsonContent.Create(new { }) : null,
        })).StatusCode;

    [Fact]
    public async Task The_nix_cache_list_is_open_to_seed_readers_seed_writers_nix_cache_readers_and_admin_only()
    {
        string[] allowed = [Roles.SeedRead, Roles.SeedWrite, Roles.NixCacheRead, Roles.Admin];
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(anonymous, "GET", "/api/v1/nix/caches"));
        foreach (var held in MintableRoles)
        {
            using var client = server.Client(await server.TokenWith(held));
            var status = await Call(client, "GET", "/api/v1/nix/caches");
            Assert.True(status == (allowed.Contains(held) ? HttpStatusCode.OK : HttpStatusCode.Forbidden), $"GET nix caches with {held} answered {(int)status}");
        }
    }

    [Fact]
    public async Task A_garden_credential_opens_no_endpoint_and_only_the_garden_credential_opens_the_hub()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "roles-garden");
        using var client = server.Client(garden.Credential);
        foreach (var (method, path, _) in Endpoints.Select(row => ((string)row[0], (string)row[1], (string)row[2])))
        {
            Assert.Equal(HttpStatusCode.Forbidden, await Call(client, method, path));
        }
        foreach (var held in MintableRoles)
        {
            var token = await server.TokenWith(held);
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(server.BaseAddress, GatewayProtocol.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());
            await connection.DisposeAsync();
        }
        Assert.True((await garden.Invoke(GatewayProtocol.Ping, new { @ref = "r" })).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task The_openapi_document_is_public_and_lists_every_endpoint_with_the_release_version()
    {
        using var anonymous = server.Client(null);
        var doc = await server.GetJson("/api/openapi.json", anonymous);
        Assert.Equal("0.1.0", doc.GetProperty("info").GetProperty("version").GetString());
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var path in new[] { "/api/v1/seeds", "/api/v1/seeds/latest", "/api/v1/seeds/{sid}", "/api/v1/gardens/register", "/api/v1/gardens",
                     "/api/v1/gardens/{sid}", "/api/v1/deployments", "/api/v1/deployments/{sid}", "/api/v1/subscriptions/{sid}/deploy",
                     "/api/v1/deployments/{sid}/retry", "/api/v1/deployments/{sid}/approve", "/api/v1/deployments/{sid}/reject",
                     "/api/v1/seeds/{sid}/retire", "/api/v1/seeds/{sid}/tags", "/api/v1/nix/caches", "/api/v1/nix/caches/{sid}" })
        {
            Assert.Contains(path, paths);
        }
    }
}
