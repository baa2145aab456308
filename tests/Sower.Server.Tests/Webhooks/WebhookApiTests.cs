using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Messages.Webhooks;
using Sower.Server.Tests.Support;
using Sower.Testing;

namespace Sower.Server.Tests.Webhooks;

/// <summary>Notification webhooks over real HTTP, delivering to a real HTTP receiver (issue 14.5). Who may call each
/// endpoint is proven in RoleTableTests (admin only).</summary>
public sealed class WebhookApiTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private const string Secret = "s3cret-never-shown-0123456789abcdef";
    private readonly RecordingReceiver _receiver = new();

    private static async Task<(HttpStatusCode Status, string Text)> Send(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) });
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> Add(string path, params string[] events)
    {
        var (status, text) = await Send(server.Admin, HttpMethod.Post, "/api/v1/webhooks", new { url = _receiver.BaseUrl + path, secret = Secret, events });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.GetProperty("sid").GetString()!;
    }

    [Fact]
    public async Task Admin_adds_lists_tests_and_removes_a_webhook_and_its_secret_is_never_returned()
    {
        var sid = await Add("tested", NotificationKinds.DeploymentFailed, NotificationKinds.GardenStale);
        Assert.StartsWith("whk_", sid, StringComparison.Ordinal);

        var (listed, list) = await Send(server.Admin, HttpMethod.Get, "/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.DoesNotContain(Secret, list, StringComparison.Ordinal);
        var entry = JsonDocument.Parse(list).RootElement.EnumerateArray().Single(w => w.GetProperty("sid").GetString() == sid);
        Assert.Equal(["deployment.failed", "garden.stale"], entry.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.True(entry.GetProperty("secret_set").GetBoolean());
        Assert.Equal("json", entry.GetProperty("format").GetString());

        var (tested, testBody) = await Send(server.Admin, HttpMethod.Post, $"/api/v1/webhooks/{sid}/test");
        Assert.Equal(HttpStatusCode.Accepted, tested);
        var key = JsonDocument.Parse(testBody).RootElement.GetProperty("idempotency_key").GetString()!;
        var received = await Wait.ForAsync(() => Task.FromResult(_receiver.On("/tested").FirstOrDefault(r => r.Headers["Idempotency-Key"] == key)),
            TimeSpan.FromSeconds(20), "the test notification");
        Assert.True(WebhookPayload.Verify(Secret, received.Headers["X-Sower-Timestamp"], received.Body, received.Headers["X-Sower-Signature"]));
        Assert.Equal("webhook.test", JsonDocument.Parse(received.Body).RootElement.GetProperty("event").GetString());

        var (_, outbox) = await Send(server.Admin, HttpMethod.Get, "/api/v1/webhooks/outbox");
        Assert.DoesNotContain(Secret, outbox, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await Send(server.Admin, HttpMethod.Delete, $"/api/v1/webhooks/{sid}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(server.Admin, HttpMethod.Delete, $"/api/v1/webhooks/{sid}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(server.Admin, HttpMethod.Post, $"/api/v1/webhooks/{sid}/test")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(server.Admin, HttpMethod.Delete, "/api/v1/webhooks/..%2F..%2Fetc")).Status);
    }

    [Theory]
    [InlineData("file:///etc/passwd", "url: scheme file is not allowed, only http and https")]
    [InlineData("gopher://127.0.0.1:6379/_FLUSHALL", "url: scheme gopher is not allowed, only http and https")]
    [InlineData("ftp://hooks.example.org/", "url: scheme ftp is not allowed, only http and https")]
    [InlineData("https://admin:hunter2@hooks.example.org/", "url: must not carry user info (user:password@); the signature authenticates the server")]
    [InlineData("/var/run/docker.sock", "url: must be an absolute http:// or https:// URL")]
    [InlineData("http://hooks.example.org/\r\nHost: evil", "url: must not contain whitespace or control characters")]
    public async Task Hostile_urls_are_422_with_a_clear_error_and_the_secret_is_not_echoed(string url, string error)
    {
        var (status, text) = await Send(server.Admin, HttpMethod.Post, "/api/v1/webhooks", new { url, secret = Secret, events = new[] { "deployment.failed" } });
        Assert.Equal((HttpStatusCode)422, status);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("invalid webhook", body.GetProperty("error").GetString());
        Assert.Equal([error], body.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_or_bad_fields_are_422_listing_every_problem()
    {
        var (status, text) = await Send(server.Admin, HttpMethod.Post, "/api/v1/webhooks", new { secret = "short", events = new[] { "everything" }, format = "xml" });
        Assert.Equal((HttpStatusCode)422, status);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("url: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("secret: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("events: unknown \"everything\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("format: ", StringComparison.Ordinal));
        Assert.DoesNotContain("short", text, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode)422, (await Send(server.Admin, HttpMethod.Post, "/api/v1/webhooks", new { })).Status);
        var (notJson, _) = await Send(server.Admin, HttpMethod.Post, "/api/v1/webhooks", "[1,2]");
        Assert.True(notJson is HttpStatusCode.BadRequest or (HttpStatusCode)422, $"answered {(int)notJson}");
    }

    [Fact]
    public async Task A_failed_deployment_and_one_awaiting_approval_reach_the_webhook_with_their_deployment_and_garden()
    {
        await Add("deployments", NotificationKinds.DeploymentFailed, NotificationKinds.DeploymentAwaitingApproval);
        await using var garden = await TestGarden.EnrollAndConnect(server, "whk-web01");
        await garden.Sync(Subscriptions.NixOS("system", "whk-web01", Subscriptions.RealtimePolicy));
        var seed = await Seeds.Submit(server, "whk-web01");
        var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean(), TimeSpan.FromSeconds(30));
        var deployment = push.GetProperty("sid").GetString()!;
        await garden.Ok(GatewayProtocol.DeploymentResult, new
        {
            request_id = push.GetProperty("request_id").GetString(),
            deployment_sid = deployment,
            result = "failure",
            deployed_at = "2026-01-01T00:00:00Z",
        });

        var received = await Wait.ForAsync(() => Task.FromResult(_receiver.On("/deployments").FirstOrDefault(r => r.Headers["Idempotency-Key"] == $"deployment.failed:{deployment}")),
            TimeSpan.FromSeconds(20), "the deployment.failed notification");
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.Equal("deployment.failed", body.GetProperty("event").GetString());
        Assert.Equal(deployment, body.GetProperty("subject").GetProperty("deployment").GetString());
        Assert.Equal(garden.Sid, body.GetProperty("subject").GetProperty("garden").GetString());
        Assert.Equal("whk-web01", body.GetProperty("subject").GetProperty("seeds").GetString());
        Assert.Equal("failure", body.GetProperty("subject").GetProperty("result").GetString());
        Assert.NotNull(seed.GetProperty("sid").GetString());

        // The same garden with an approval-gated subscription: awaiting approval is announced.
        await garden.Sync(Subscriptions.NixOS("system", "whk-web01", Subscriptions.ConfirmRealtimePolicy));
        await Seeds.Submit(server, "whk-web01", Seeds.Artifact("nixos-system-whk-web01-2"));
        var awaiting = await Wait.ForAsync(() => Task.FromResult(_receiver.On("/deployments").FirstOrDefault(r => r.Headers["X-Sower-Event"] == "deployment.awaiting_approval")),
            TimeSpan.FromSeconds(20), "the deployment.awaiting_approval notification");
        Assert.Equal(garden.Sid, JsonDocument.Parse(awaiting.Body).RootElement.GetProperty("subject").GetProperty("garden").GetString());
    }

    public void Dispose() => _receiver.Dispose();
}
