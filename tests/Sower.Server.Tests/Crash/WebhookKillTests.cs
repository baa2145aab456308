using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;
using Sower.Testing;

namespace Sower.Server.Tests.Crash;

/// <summary>
/// Issue 14.5 "must show": the built sower-server as a real process, a real HTTP receiver, and SIGKILL. Notifications
/// enqueued while the receiver fails survive the kill in the outbox and are delivered after the restart: each event
/// is acknowledged exactly once per idempotency key, none lost, none acknowledged twice.
/// </summary>
public sealed class WebhookKillTests : IDisposable
{
    private const string Secret = "kill-9-webhook-secret-0123456789";
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-whk-kill-").FullName;
    private readonly int _port = FreePort();
    private readonly RecordingReceiver _receiver = new();
    private Process? _server;

    private Uri BaseAddress => new($"http://127.0.0.1:{_port}");

    private async Task<HttpClient> StartServer()
    {
        var config = Path.Combine(_dir, "server.json");
        await File.WriteAllTextAsync(config, """{"webhooks":{"first_retry_seconds":1,"timeout_seconds":5}}""");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sower-server.dll"));
        foreach (var arg in new[] { "--config", config, "--data-dir", Path.Combine(_dir, "data"), "--urls", BaseAddress.ToString().TrimEnd('/'), "--log-level", "Warning" })
        {
            info.ArgumentList.Add(arg);
        }
        _server = Process.Start(info)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = BaseAddress };
        await Wait.ForAsync(async () => (await probe.GetAsync("/healthz/ready")).IsSuccessStatusCode ? "ready" : null, TimeSpan.FromSeconds(90), "server readiness");
        var token = (await File.ReadAllTextAsync(Path.Combine(_dir, "data", "admin-token"))).Trim();
        var admin = new HttpClient { BaseAddress = BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return admin;
    }

    private static async Task<JsonElement> Outbox(HttpClient admin) => await admin.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/outbox");

    [Fact]
    public async Task Notifications_pending_at_a_kill_9_are_delivered_after_the_restart_exactly_once_per_idempotency_key()
    {
        var admin = await StartServer();
        _receiver.Status["/hook"] = 500;
        var added = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.BaseUrl + "hook", secret = Secret, events = new[] { "deployment.failed" } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var garden = await TestGarden.EnrollAndConnect(BaseAddress, admin, "whk-kill-web01", "whk-kill-host");
        await garden.Sync(Subscriptions.NixOS("system", "whk-kill-web01", Subscriptions.RealtimePolicy));
        var expected = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var submitted = await admin.PostAsync("/api/v1/seeds", JsonContent.Create(new
            {
                name = "whk-kill-web01",
                seed_type = "nixos",
                artifact = Seeds.Artifact($"nixos-system-whk-kill-{i}"),
                tags = Array.Empty<object>(),
            }));
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean()
                && !expected.Contains("deployment.failed:" + p.GetProperty("sid").GetString()), TimeSpan.FromSeconds(30));
            var deployment = push.GetProperty("sid").GetString()!;
            await garden.Ok(GatewayProtocol.DeploymentResult, new
            {
                request_id = push.GetProperty("request_id").GetString(),
                deployment_sid = deployment,
                result = "failure",
                deployed_at = "2026-01-01T00:00:00Z",
            });
            expected.Add("deployment.failed:" + deployment);
        }

        // Every notification was tried (and refused by the receiver) and waits in the outbox.
        await Wait.ForAsync(async () => (await Outbox(admin)).GetProperty("pending").GetInt32() == 3
            && expected.All(k => _receiver.On("/hook").Any(r => r.Headers["Idempotency-Key"] == k)) ? "tried" : null, TimeSpan.FromSeconds(30), "three failed attempts");

        _server!.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
        await garden.DisposeAsync();
        admin.Dispose();
        _receiver.Status["/hook"] = 200;

        admin = await StartServer();
        var webhooks = await admin.GetFromJsonAsync<JsonElement>("/api/v1/webhooks");
        Assert.Equal(1, webhooks.GetArrayLength());
        await Wait.ForAsync(async () => (await Outbox(admin)).GetProperty("pending").GetInt32() == 0 ? "drained" : null, TimeSpan.FromSeconds(60), "the outbox to drain");

        var acknowledged = _receiver.On("/hook").Where(r => r.Status == 200).ToList();
        Assert.Equal(expected.Order(), acknowledged.Select(r => r.Headers["Idempotency-Key"]).Order());
        Assert.All(acknowledged, r => Assert.True(Sower.Messages.Webhooks.WebhookPayload.Verify(Secret, r.Headers["X-Sower-Timestamp"], r.Body, r.Headers["X-Sower-Signature"])));
        // Same event, same body: the receiver can tell a retry from a new event by the key alone.
        foreach (var key in expected)
        {
            var ids = _receiver.On("/hook").Where(r => r.Headers["Idempotency-Key"] == key)
                .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString()).Distinct();
            Assert.Equal([key], ids);
        }
        var outbox = await Outbox(admin);
        Assert.Equal(0, outbox.GetProperty("dead").GetInt32());
        admin.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (_server is { HasExited: false }) _server.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _server?.Dispose();
        _receiver.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
