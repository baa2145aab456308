using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.SeedTrust;

/// <summary>
/// Issue 12, finding 6: every seed limit at and just over its bound, over REST, the CLI hub and garden reports; the REST
/// body limit; and a retried submission that is idempotent. A refused seed is never created.
/// </summary>
public sealed class SeedLimitTests(TestServer server) : IClassFixture<TestServer>
{
    /// <summary>name (null: a fresh short one), tag count and sizes, and the field a refusal must name (null: accepted).</summary>
    public sealed record Case(int NameBytes, int Tags, int KeyBytes, int ValueBytes, string? Field);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["name at 255 bytes"] = new(255, 1, 4, 4, null),
        ["name at 256 bytes"] = new(256, 1, 4, 4, "name"),
        ["256 tags"] = new(0, 256, 4, 4, null),
        ["257 tags"] = new(0, 257, 4, 4, "tags"),
        ["key at 128 bytes"] = new(0, 1, 128, 4, null),
        ["key at 129 bytes"] = new(0, 1, 129, 4, "tags[0].key"),
        ["value at 4096 bytes"] = new(0, 1, 4, 4096, null),
        ["value at 4097 bytes"] = new(0, 1, 4, 4097, "tags[0].value"),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    private static (string Name, string Artifact, object[] Tags) Build(Case c)
    {
        var unique = "lim" + Guid.NewGuid().ToString("N")[..8];
        var name = c.NameBytes == 0 ? unique : unique + new string('n', c.NameBytes - unique.Length);
        var tags = Enumerable.Range(0, c.Tags).Select(i =>
        {
            var key = c.KeyBytes == 4 ? "k" + i.ToString("D3") : new string('k', c.KeyBytes);
            return (object)new Dictionary<string, string> { ["key"] = key, ["value"] = new string('v', c.ValueBytes) };
        }).ToArray();
        return (name, Seeds.Artifact("nixos-system-" + unique + "-1"), tags);
    }

    private static object Body(string name, string artifact, object[] tags) =>
        new Dictionary<string, object> { ["name"] = name, ["seed_type"] = "nixos", ["artifact"] = artifact, ["tags"] = tags };

    private async Task AssertNoSeed(string artifact)
    {
        var list = await server.GetJson("/api/v1/seeds?per_page=200");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), s => s.GetProperty("artifact").GetString() == artifact);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Rest_submit_enforces_each_limit_with_a_422_naming_the_field(string caseName)
    {
        var c = Cases[caseName];
        var (name, artifact, tags) = Build(c);
        var (status, body) = await server.PostJson("/api/v1/seeds", Body(name, artifact, tags));
        if (c.Field is null)
        {
            Assert.True(status == 201, $"{caseName}: {status} {body}");
            return;
        }
        Assert.Equal(422, status);
        Assert.Equal("invalid seed", body.GetProperty("error").GetString());
        Assert.Contains(body.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith(c.Field + ": at most", StringComparison.Ordinal));
        await AssertNoSeed(artifact);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Cli_hub_submit_enforces_each_limit_naming_the_field(string caseName)
    {
        var c = Cases[caseName];
        var (name, artifact, tags) = Build(c);
        await using var hub = await CliHub();
        var first = await FirstEvent(hub, Body(name, artifact, tags));
        if (c.Field is null)
        {
            Assert.True(first.GetProperty("kind").GetString() == "submitted", $"{caseName}: {first}");
            return;
        }
        Assert.Equal("error", first.GetProperty("kind").GetString());
        Assert.Equal("invalid_seed", first.GetProperty("error").GetString());
        Assert.Contains(first.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith(c.Field + ": at most", StringComparison.Ordinal));
        await AssertNoSeed(artifact);
    }

    [Theory]
    [InlineData(256, 4, 4, null)]
    [InlineData(257, 4, 4, "profiles[0].tags")]
    [InlineData(1, 128, 4, null)]
    [InlineData(1, 129, 4, "profiles[0].tags[0].key")]
    [InlineData(1, 4, 4096, null)]
    [InlineData(1, 4, 4097, "profiles[0].tags[0].value")]
    public async Task A_garden_report_enforces_the_tag_limits_with_invalid_payload_naming_the_field(int count, int keyBytes, int valueBytes, string? field)
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "lim-g-" + Guid.NewGuid().ToString("N")[..6]);
        var tags = Enumerable.Range(0, count).ToDictionary(i => keyBytes == 4 ? "k" + i.ToString("D3") : new string('k', keyBytes), _ => new string('v', valueBytes));
        var reply = await garden.Invoke(GatewayProtocol.GardenSeedsReport, new
        {
            profiles = new[]
            {
                new
                {
                    profile_path = "/nix/var/nix/profiles/system", tags,
                    generations = new[] { new { path = Seeds.Artifact("nixos-system-lim-1"), link = "/nix/var/nix/profiles/system-1-link", created = "2026-01-01T00:00:00Z", generation_number = 1, is_current = true } },
                },
            },
        });
        if (field is null)
        {
            Assert.True(reply.GetProperty("ok").GetBoolean(), reply.ToString());
            return;
        }
        Assert.False(reply.GetProperty("ok").GetBoolean());
        var error = reply.GetProperty("error");
        Assert.Equal(GatewayErrors.InvalidPayload, error.GetProperty("code").GetString());
        Assert.Contains(error.GetProperty("errors").EnumerateArray(), e => e.GetProperty("path").GetString() == field
                                                                         && e.GetProperty("message").GetString()!.StartsWith("at most", StringComparison.Ordinal));
        // The gateway answers before the garden's entity is asked, so nothing of a refused report is recorded; the same
        // connection still works.
        await garden.Ok(GatewayProtocol.Ping, new { @ref = "after-refusal" });
    }

    [Fact]
    public async Task A_rest_body_of_exactly_1_MiB_is_read_and_one_byte_more_is_refused_naming_the_body()
    {
        var (name, artifact, _) = Build(Cases["256 tags"]);
        var json = JsonSerializer.Serialize(Body(name, artifact, []));
        var exact = json + new string(' ', 1024 * 1024 - Encoding.UTF8.GetByteCount(json));
        var ok = await server.Admin.PostAsync("/api/v1/seeds", new StringContent(exact, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);

        var (name2, artifact2, _) = Build(Cases["256 tags"]);
        var json2 = JsonSerializer.Serialize(Body(name2, artifact2, []));
        var over = json2 + new string(' ', 1024 * 1024 + 1 - Encoding.UTF8.GetByteCount(json2));
        var refused = await server.Admin.PostAsync("/api/v1/seeds", new StringContent(over, Encoding.UTF8, "application/json"));
        await AssertBodyRefused(refused);

        // Without a Content-Length (chunked), the limit holds while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(over)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/seeds") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertBodyRefused(await server.Admin.SendAsync(request));
        await AssertNoSeed(artifact2);
    }

    private static async Task AssertBodyRefused(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode} {text}");
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Contains(body.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("body: at most 1048576 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_retried_submission_returns_the_same_seed_without_a_duplicate_over_rest_and_the_cli_hub()
    {
        var (name, artifact, tags) = Build(new Case(0, 3, 4, 4, null));
        var body = Body(name, artifact, tags);
        var (first, created) = await server.PostJson("/api/v1/seeds", body);
        var (second, again) = await server.PostJson("/api/v1/seeds", body);
        Assert.Equal(201, first);
        Assert.Equal(200, second);
        Assert.Equal(created.GetProperty("sid").GetString(), again.GetProperty("sid").GetString());
        Assert.Equal(created.GetProperty("recency").GetString(), again.GetProperty("recency").GetString());
        Assert.Equal(3, again.GetProperty("tags").GetArrayLength());

        await using var hub = await CliHub();
        var third = await FirstEvent(hub, body);
        Assert.Equal("submitted", third.GetProperty("kind").GetString());
        Assert.False(third.GetProperty("created").GetBoolean());
        Assert.Equal(created.GetProperty("sid").GetString(), third.GetProperty("seed").GetProperty("sid").GetString());

        var line = await server.GetJson($"/api/v1/seeds?name={name}&seed_type=nixos");
        Assert.Equal(1, line.GetProperty("total").GetInt32());
    }

    private async Task<HubConnection> CliHub()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/cli"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(server.AdminToken))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    private static async Task<JsonElement> FirstEvent(HubConnection hub, object request)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var item in hub.StreamAsync<JsonElement>("SubmitSeed", request, cts.Token)) return item;
        throw new InvalidOperationException("the CLI hub ended the stream without an event");
    }
}
