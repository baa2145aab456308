using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.Server;
using Sower.Actors.Server.Inspection;
using Sower.Actors.Server.Projections;
using Sower.Server.Api;
using Sower.Server.Cli;
using Sower.Server.Configuration;
using Sower.Server.Gateway;

namespace Sower.Cli.Tests.Support;

/// <summary>
/// The real server, composed exactly as Program.cs's SowerServerApp.Build does, plus the CLI extensions this branch
/// adds (WithSowerInspection, MapSowerCliGateway), on a fresh data directory and a random loopback port.
/// One per test class (xUnit class fixture).
/// </summary>
public sealed class TestServer : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("sower-cli-server-").FullName;

    public string Url { get; private set; } = "";

    public string AdminToken { get; private set; } = "";

    public static WebApplication Build(ServerOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.AddSowerServerInfrastructure(options);
        builder.AddSowerGateway();
        builder.AddSowerApi();
        var settings = new ServerEntitySettings
        {
            StaleAfter = Duration.FromSeconds(options.StaleAfterSeconds),
            StaleCheckInterval = TimeSpan.FromSeconds(options.StaleCheckIntervalSeconds),
            ApprovalExpiry = Duration.FromSeconds(options.ApprovalExpirySeconds),
        };
        var readModel = new ReadModelStore();
        builder.Services.AddSingleton(readModel);
        builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, sp) => akka
            .WithSowerServerInfrastructure(options, ServerEntitiesHostingExtensions.AddSowerEventTagger)
            .WithSowerServerEntities(settings, sp.GetRequiredService<IClock>(), readModel)
            .WithSowerInspection()
            .WithStrictSerialization());
        var app = builder.Build();
        app.MapSowerInfrastructure();
        app.MapSowerGateway();
        app.MapSowerApi();
        app.MapSowerCliGateway();
        return app;
    }

    public async Task InitializeAsync()
    {
        var loaded = ServerOptionsLoader.LoadAndPrepare(["--data-dir", DataDir, "--urls", "http://127.0.0.1:0", "--log-level", "Warning"],
            new Dictionary<string, string?>());
        Assert.True(loaded.IsValid, "server options invalid");
        _app = Build(loaded.Options!);
        await _app.StartAsync();
        Url = _app.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        var tokenFile = Path.Combine(DataDir, "admin-token");
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(tokenFile) && (await File.ReadAllTextAsync(tokenFile)).Trim() is { Length: > 0 } token)
            {
                var ready = await http.GetAsync(Url + "/healthz/ready");
                if (ready.IsSuccessStatusCode)
                {
                    AdminToken = token;
                    return;
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the test server did not become ready within 60 s");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
