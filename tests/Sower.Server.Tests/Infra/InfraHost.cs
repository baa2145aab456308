using System.Net.Http.Headers;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sower.Actors.Hosting;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Tokens;
using Sower.Server.Configuration;

namespace Sower.Server.Tests.Infra;

/// <summary>A real Kestrel host on a random loopback port, composed exactly like Program.cs from
/// AddSowerServerInfrastructure / WithSowerServerInfrastructure / MapSowerInfrastructure, on an SQLite file in a
/// temp data directory, plus a few role-protected probe endpoints.</summary>
public sealed class InfraHost : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private InfraHost(WebApplication app, ServerOptions options, Uri baseAddress)
    {
        App = app;
        Options = options;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }
    public ServerOptions Options { get; }
    public Uri BaseAddress { get; }

    public static async Task<InfraHost> StartAsync(string dataDir)
    {
        var loaded = ServerOptionsLoader.LoadAndPrepare(
            ["--data-dir", dataDir, "--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string?> { ["SOWER_LOG_LEVEL"] = "Warning" });
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Problems));
        var options = loaded.Options!;

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = dataDir });
        builder.AddSowerServerInfrastructure(options);
        builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, _) => akka.WithSowerServerInfrastructure(options));
        var app = builder.Build();
        app.MapSowerInfrastructure();
        foreach (var role in Roles.All)
            app.MapGet($"/probe/{role}", () => Results.Ok(new { role })).RequireAuthorization(role);
        app.MapGet("/hubs/probe", (HttpContext http) => Results.Ok(new { sid = http.User.FindFirst("sid")?.Value })).RequireAuthorization();

        await app.StartAsync();
        var host = new InfraHost(app, options, new Uri(app.Urls.First()));
        await host.WaitUntilReadyAsync();
        return host;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = Client();
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            var response = await client.GetAsync("/healthz/ready");
            if (response.IsSuccessStatusCode) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"not ready after {ReadyTimeout}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public string AdminToken => File.ReadAllText(Options.AdminTokenFile).Trim();

    /// <summary>Talks to the token store directly, as the UI or garden enrollment would.</summary>
    public async Task<T> AskTokensAsync<T>(ITokenMessage message)
    {
        var store = await App.Services.GetRequiredService<ActorRegistry>().GetAsync<AccessTokensActorKey>();
        return Assert.IsType<T>(await store.Ask<object>(message, TimeSpan.FromSeconds(10)));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>One shared host per test class.</summary>
public sealed class InfraHostFixture : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "sower-infra-" + Guid.NewGuid().ToString("N"));
    public InfraHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await InfraHost.StartAsync(_dataDir);

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
