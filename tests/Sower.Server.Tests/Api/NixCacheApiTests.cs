using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>The Nix cache registry over real HTTP (REFERENCE §6.3, §6.14).</summary>
public sealed class NixCacheApiTests(TestServer server) : IClassFixture<TestServer>
{
    private const string Key = "cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
    private const string OtherKey = "other-1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) });
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string[] Errors(JsonElement body) => [.. body.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task Admin_creates_edits_and_deletes_a_cache_and_seed_readers_list_it()
    {
        var url = $"https://{Guid.NewGuid():N}.example.org";
        var (status, created) = await Send(server.Admin, HttpMethod.Post, "/api/v1/nix/caches", new { url, public_key = Key });
        Assert.Equal(HttpStatusCode.Created, status);
        var sid = created.GetProperty("sid").GetString()!;
        Assert.StartsWith("nxc_", sid);
        Assert.Equal(url, created.GetProperty("url").GetString());
        Assert.Equal(Key, created.GetProperty("public_key").GetString());

        using var reader = server.Client(await server.TokenWith(Roles.SeedRead));
        var (listed, list) = await Send(reader, HttpMethod.Get, "/api/v1/nix/caches");
        Assert.Equal(HttpStatusCode.OK, listed);
        var entry = list.EnumerateArray().Single(c => c.GetProperty("sid").GetString() == sid);
        Assert.Equal(Key, entry.GetProperty("public_key").GetString());

        var edited = url.Replace("https://", "http://");
        var (editStatus, editBody) = await Send(server.Admin, HttpMethod.Put, $"/api/v1/nix/caches/{sid}", new { url = edited, public_key = OtherKey });
        Assert.Equal(HttpStatusCode.OK, editStatus);
        Assert.Equal(edited, editBody.GetProperty("url").GetString());
        Assert.Equal(OtherKey, editBody.GetProperty("public_key").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Send(server.Admin, HttpMethod.Delete, $"/api/v1/nix/caches/{sid}")).Status);
        var (_, after) = await Send(reader, HttpMethod.Get, "/api/v1/nix/caches");
        Assert.DoesNotContain(after.EnumerateArray(), c => c.GetProperty("sid").GetString() == sid);
        var (gone, goneBody) = await Send(server.Admin, HttpMethod.Delete, $"/api/v1/nix/caches/{sid}");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Equal("not found", goneBody.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Invalid_url_and_public_key_are_422_with_every_error()
    {
        var (status, body) = await Send(server.Admin, HttpMethod.Post, "/api/v1/nix/caches", new { url = "ftp://cache", public_key = "nocolon" });
        Assert.Equal((HttpStatusCode)422, status);
        var errors = Errors(body);
        Assert.Contains(errors, e => e.StartsWith("url: "));
        Assert.Contains(errors, e => e.StartsWith("public_key: "));

        var (missing, missingBody) = await Send(server.Admin, HttpMethod.Post, "/api/v1/nix/caches", new { });
        Assert.Equal((HttpStatusCode)422, missing);
        Assert.Equal(2, Errors(missingBody).Length);

        var (malformed, _) = await Send(server.Admin, HttpMethod.Post, "/api/v1/nix/caches", new { url = "https://x.example.org", public_key = "k:c2hvcnQ=" });
        Assert.Equal((HttpStatusCode)422, malformed);
    }

    [Fact]
    public async Task A_duplicate_url_is_409_with_a_clear_message_and_an_unknown_sid_is_404()
    {
        var url = $"file:///srv/{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Created, (await Send(server.Admin, HttpMethod.Post, "/api/v1/nix/caches", new { url, public_key = Key })).Status);
        var (status, body) = await Send(server.Admin, HttpMethod.Post, "/api/v1/nix/caches", new { url, public_key = OtherKey });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal([$"url: a Nix cache with url {url} already exists"], Errors(body));

        var (unknown, unknownBody) = await Send(server.Admin, HttpMethod.Put, "/api/v1/nix/caches/nxc_zzzzzzzzzzzzzzzzzzzzzzzz",
            new { url = "https://unknown.example.org", public_key = Key });
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("not found", unknownBody.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Send(server.Admin, HttpMethod.Delete, "/api/v1/nix/caches/not-a-sid")).Status);
    }

    [Fact]
    public async Task Only_admin_may_change_caches()
    {
        using var writer = server.Client(await server.TokenWith(Roles.SeedWrite, Roles.NixCacheRead));
        var (status, _) = await Send(writer, HttpMethod.Post, "/api/v1/nix/caches", new { url = "https://nope.example.org", public_key = Key });
        Assert.Equal(HttpStatusCode.Forbidden, status);
    }
}
