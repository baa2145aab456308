using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using Sower.Actors.Server;
using Sower.Server.Configuration;
using Sower.Server.Gateway;

namespace Sower.Server.Tests.Support;

/// <summary>
/// The real server (SowerServerApp, the same composition as Program.cs) on Kestrel on a random loopback port, over a
/// fresh SQLite file in a temp data dir. Shared per test class through IClassFixture.
/// </summary>
public sealed class TestServer : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>A fresh temp dir unless a test restarts a server on the data of an earlier one.</summary>
    public string DataDir { get; init; } = Path.Combine(Path.GetTempPath(), "sower-test-" + Guid.NewGuid().ToString("N")[..12]);
    public Uri BaseAddress { get; private set; } = null!;
    public string AdminToken { get; private set; } = "";
    public HttpClient Admin { get; private set; } = null!;
    /// <summary>The running host's services, for tests that call a server-side handler directly (the console's actions).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the server is not started");

    /// <summary>Tests may shorten entity timing (stale checks) or tighten the gateway limits.</summary>
    public Func<ServerEntitySettings, ServerEntitySettings>? Entities { get; init; }
    public GatewayOptions? Gateway { get; init; }
    public IClock? Clock { get; init; }
    public int StaleAfterSeconds { get; init; } = 7200;
    public int ApprovalExpirySeconds { get; init; } = 86400;
    public int EnrollmentExpirySeconds { get; init; } = 86400;
    /// <summary>Keep the data dir on dispose (a test restarts a server on it).</summary>
    public bool KeepDataDir { get; init; }
    /// <summary>OIDC sign-in for the console (off unless a test sets it).</summary>
    public AuthOptions? Auth { get; init; }
    /// <summary>A fixed loopback port (0: any free one), for tests whose redirect URIs must be known before start.</summary>
    public int Port { get; init; }

    /// <summary>Changes to the server's services after the production set-up (for example a handler's options).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDir);
        var options = new ServerOptions
        {
            DataDir = DataDir,
            Urls = [$"http://127.0.0.1:{Port}"],
            LogLevel = "Warning",
            Auth = Auth ?? new AuthOptions(),
            StaleAfterSeconds = StaleAfterSeconds,
            ApprovalExpirySeconds = ApprovalExpirySeconds,
            EnrollmentExpirySeconds = EnrollmentExpirySeconds,
        };
        _app = SowerServerApp.Build(options, b =>
        {
            if (Clock is not null) b.Services.AddSingleton(Clock);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            ConfigureServices?.Invoke(b.Services);
        }, Gateway, Entities);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        AdminToken = await Wait.ForAsync(async () =>
        {
            var file = Path.Combine(DataDir, "admin-token");
            return File.Exists(file) ? (await File.ReadAllTextAsync(file)).Trim() is { Length: > 0 } t ? t : null : null;
        }, TimeSpan.FromSeconds(60), "admin token file");
        Admin = Client(AdminToken);
        await Wait.ForAsync(async () => (await Admin.GetAsync("/healthz/ready")).IsSuccessStatusCode ? "ready" : null, TimeSpan.FromSeconds(60), "readiness");
    }

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Mints a token with the given roles through the real token API.</summary>
    public async Task<string> TokenWith(params string[] roles)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/tokens", new { description = "test " + string.Join(",", roles), roles });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["token"]?.GetValue<string>() ?? body["plaintext"]?.GetValue<string>() ?? throw new InvalidOperationException("no token in " + body);
    }

    public async Task<JsonElement> GetJson(string path, HttpClient? client = null)
    {
        var response = await (client ?? Admin).GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> PostJson(string path, object? body, HttpClient? client = null)
    {
        var response = await (client ?? Admin).PostAsync(path, JsonContent.Create(body ?? new { }));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (!KeepDataDir) try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Wait
{
    /// <summary>Polls until the probe returns non-null; fails with what it waited for. No fixed sleeps in tests.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value) return value;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or JsonException or KeyNotFoundException)
            {
                last = e;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"timed out after {timeout} waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }

    public static Task<T> ForAsync<T>(Func<Task<T?>> probe, string what) where T : class => ForAsync(probe, TimeSpan.FromSeconds(20), what);
}
