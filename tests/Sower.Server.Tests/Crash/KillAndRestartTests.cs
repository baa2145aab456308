using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Crash;

/// <summary>
/// The built sower-server as a real process: killed with SIGKILL in the middle of a deployment and started again on the
/// same data dir, it still knows the deployment, replays it to the reconnecting garden, and records its result.
/// </summary>
public sealed class KillAndRestartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-kill-").FullName;
    private readonly int _port = FreePort();
    private System.Diagnostics.Process? _server;

    private Uri BaseAddress => new($"http://127.0.0.1:{_port}");

    private async Task<HttpClient> StartServer()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sower-server.dll"));
        foreach (var arg in new[] { "--data-dir", Path.Combine(_dir, "data"), "--urls", BaseAddress.ToString().TrimEnd('/'), "--log-level", "Warning" })
        {
            info.ArgumentList.Add(arg);
        }
        _server = System.Diagnostics.Process.Start(info)!;
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

    [Fact]
    public async Task A_server_killed_mid_deployment_resumes_it_after_restart_on_the_same_data_dir()
    {
        var admin = await StartServer();
        var garden = await TestGarden.EnrollAndConnect(BaseAddress, admin, "kill-web01", "kill-host");
        await garden.Sync(Subscriptions.NixOS("system", "kill-web01", Subscriptions.RealtimePolicy));
        var submitted = await admin.PostAsync("/api/v1/seeds", JsonContent.Create(new
        {
            name = "kill-web01",
            seed_type = "nixos",
            artifact = Seeds.Artifact("nixos-system-kill-web01-24.05"),
            tags = Array.Empty<object>(),
        }));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var seedSid = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sid").GetString()!;
        var (_, push) = await garden.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean(), TimeSpan.FromSeconds(30));
        var deployment = push.GetProperty("sid").GetString()!;
        await garden.Ok(GatewayProtocol.DeploymentStatus, new { deployment_sid = deployment, status = "acknowledged" });
        await garden.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = (string?)null, action = (string?)null, log = "before the crash" });

        _server!.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
        await garden.DisposeAsync();
        admin.Dispose();

        admin = await StartServer();
        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/deployments/{deployment}");
        Assert.Equal("acknowledged", detail.GetProperty("state").GetString());
        Assert.Equal("before the crash", detail.GetProperty("seeds")[0].GetProperty("log").GetString());

        await using var again = await TestGarden.EnrollAndConnect(BaseAddress, admin, "kill-web01", "kill-host");
        Assert.Equal(garden.Sid, again.Sid);
        var (_, replay) = await again.NextPush((n, p) => n == GatewayProtocol.PushDeployment && p.GetProperty("sid").GetString() == deployment, TimeSpan.FromSeconds(30));
        Assert.NotEqual(push.GetProperty("request_id").GetString(), replay.GetProperty("request_id").GetString());

        await again.Ok(GatewayProtocol.DeploymentSeedResult, new { deployment_sid = deployment, seed_sid = seedSid, result = "success", action = "activate", log = "after the restart" });
        await again.Ok(GatewayProtocol.DeploymentResult, new { request_id = replay.GetProperty("request_id").GetString(), deployment_sid = deployment, result = "success", deployed_at = "2026-01-01T00:00:00Z" });
        detail = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/deployments/{deployment}");
        Assert.Equal("completed", detail.GetProperty("state").GetString());
        Assert.Equal("before the crash\nafter the restart", detail.GetProperty("seeds")[0].GetProperty("log").GetString());
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
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
