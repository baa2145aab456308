using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sower.Actors.Server.Tokens;
using Sower.Server.Health;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Infra;

/// <summary>/healthz/ready tells the truth (issue 19.2): it names the token store and the read-model projector, answers
/// 503 while the projector is down, and the projector comes back by itself (BackoffSupervisor).</summary>
public sealed class ReadinessTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private ActorSystem? _silent;

    [Fact]
    public async Task Ready_reports_the_token_store_and_the_projector_as_healthy_checks()
    {
        var body = await ReadyBody();
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("Healthy", checks[ReadinessChecks.TokenStoreCheck]);
        Assert.Equal("Healthy", checks[ReadinessChecks.ProjectorCheck]);
        Assert.Equal("Healthy", checks[ReadinessChecks.TokenViewCheck]);
    }

    [Fact]
    public async Task A_token_view_that_stops_reading_the_journal_makes_the_node_unready_until_it_reads_again()
    {
        var system = server.Services.GetRequiredService<ActorSystem>();
        var view = server.Services.GetRequiredService<AccessTokenView>();
        using var http = server.Client(null);
        await Wait.ForAsync(async () => (await http.GetAsync(HealthEndpoints.ReadyPath)).IsSuccessStatusCode ? "ready" : null, "ready first");

        // The replica stops (what a journal that cannot be read does to it): the view goes stale after 5 s.
        var replica = await system.ActorSelection("/user/" + AccessTokenReplicaActor.Name).ResolveOne(TimeSpan.FromSeconds(5));
        await replica.GracefulStop(TimeSpan.FromSeconds(5));
        var unready = await Wait.ForAsync(async () =>
        {
            var response = await http.GetAsync(HealthEndpoints.ReadyPath);
            return response.StatusCode == HttpStatusCode.ServiceUnavailable ? await response.Content.ReadAsStringAsync() : null;
        }, "503 while the token view is stale");
        Assert.Contains("token view is stale", unready, StringComparison.Ordinal);
        Assert.False(view.IsFresh);

        // A replica reading again: ready again.
        system.ActorOf(Props.Create(() => new AccessTokenReplicaActor(view, Sower.Actors.Server.ServerEntitiesHostingExtensions.ReadJournalId)), AccessTokenReplicaActor.Name);
        await Wait.ForAsync(async () => (await http.GetAsync(HealthEndpoints.ReadyPath)).IsSuccessStatusCode ? "ready" : null, "ready again");
    }

    [Fact]
    public async Task A_token_view_is_unhealthy_until_its_first_read_and_again_once_its_last_read_is_older_than_the_staleness_bound()
    {
        var time = new ManualTime();
        var view = new AccessTokenView(time);
        var check = new TokenViewHealthCheck(view);
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        view.Apply([]);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        time.Advance(AccessTokenView.MaxStaleness + TimeSpan.FromSeconds(1));
        var stale = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, stale.Status);
        Assert.Contains("cannot authenticate reliably", stale.Description, StringComparison.Ordinal);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }

    [Fact]
    public async Task A_projector_that_fails_makes_the_node_unready_and_is_restarted_after_a_backoff()
    {
        var system = server.Services.GetRequiredService<ActorSystem>();
        using var http = server.Client(null);

        // A failure inside the projector (what an exception in a fold would do).
        system.ActorSelection("/user/read-model-projector/projector").Tell(Kill.Instance);

        var unready = await Wait.ForAsync(async () =>
        {
            var response = await http.GetAsync(HealthEndpoints.ReadyPath);
            return response.StatusCode == HttpStatusCode.ServiceUnavailable ? await response.Content.ReadAsStringAsync() : null;
        }, "503 while the projector is down");
        Assert.Contains("read-model projector not running", unready, StringComparison.Ordinal);

        // The supervisor starts it again; the node is ready again and its listings are whole.
        await Wait.ForAsync(async () => (await http.GetAsync(HealthEndpoints.ReadyPath)).IsSuccessStatusCode ? "ready" : null, "ready again");
        await using var garden = await TestGarden.EnrollAndConnect(server, "ready-after-restart");
        await Wait.ForAsync(async () =>
        {
            var list = await server.GetJson("/api/v1/gardens");
            return list.GetProperty("items").EnumerateArray().Any(g => g.GetProperty("sid").GetString() == garden.Sid) ? "listed" : null;
        }, "the new garden in the listing after the projector restarted");
    }

    [Fact]
    public async Task A_token_store_that_does_not_answer_is_unhealthy_with_a_reason()
    {
        _silent = ActorSystem.Create("silent-" + Guid.NewGuid().ToString("N")[..8]);
        var registry = ActorRegistry.For(_silent);
        registry.Register<AccessTokensActorKey>(_silent.ActorOf(Props.Create(() => new Silent()), "silent-token-store"));

        var result = await new TokenStoreHealthCheck(registry).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("token store did not answer", result.Description, StringComparison.Ordinal);
    }

    private async Task<JsonElement> ReadyBody()
    {
        using var http = server.Client(null);
        var response = await http.GetAsync(HealthEndpoints.ReadyPath);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>An actor that takes every message and answers none (a token store stuck behind a moving singleton).</summary>
    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    public void Dispose() => _silent?.Dispose();
}
