using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Sower.Messages.Gateway;
using Sower.Server.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

public sealed class ThrottledServer : IAsyncLifetime
{
    public TestServer Server { get; } = new() { Gateway = new GatewayOptions { RateLimitBurst = 20, RateLimitPerSecond = 5 } };
    public Task InitializeAsync() => Server.InitializeAsync();
    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>Malformed, oversized and flooding input is refused with an error reply while the connection survives.</summary>
public sealed class GatewayRobustnessTests(ThrottledServer fixture) : IClassFixture<ThrottledServer>
{
    private readonly TestServer _server = fixture.Server;

    private static async Task AssertStillServing(TestGarden garden)
    {
        await Wait.ForAsync(async () =>
        {
            var reply = await garden.Invoke(GatewayProtocol.Ping, new { @ref = "alive" });
            return reply.GetProperty("ok").GetBoolean() ? reply.GetProperty("body").GetProperty("ref").GetString() : null;
        }, "the connection to keep serving");
        Assert.Equal(HubConnectionState.Connected, garden.Connection.State);
    }

    [Fact]
    public async Task Malformed_payloads_get_invalid_payload_with_field_errors_and_the_connection_survives()
    {
        await using var garden = await TestGarden.EnrollAndConnect(_server, "rb-malformed");
        var reply = await garden.Invoke(GatewayProtocol.DeploymentSeedStatus, new { deployment_sid = 42, seed_sid = true, status = "flying" });
        Assert.False(reply.GetProperty("ok").GetBoolean());
        Assert.Equal(GatewayErrors.InvalidPayload, reply.GetProperty("error").GetProperty("code").GetString());

        reply = await garden.Invoke(GatewayProtocol.DeploymentSeedStatus, new { deployment_sid = "nope", seed_sid = "nope", status = "flying" });
        var paths = reply.GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Equal(["deployment_sid", "seed_sid", "status"], paths);

        Assert.Equal(GatewayErrors.InvalidPayload, await garden.ErrorCode(GatewayProtocol.SubscriptionsSync,
            new { subscriptions = new object[] { new { name = "x", seed_type = "nixos", seed_name = "x", policy = new { bad = new { actions = new[] { "explode" } } } } } }));
        var arrayPayload = JsonDocument.Parse("[1,2,3]").RootElement;
        Assert.Equal(GatewayErrors.InvalidPayload, await garden.ErrorCode(GatewayProtocol.GardenReport, arrayPayload));
        await AssertStillServing(garden);
    }

    [Fact]
    public async Task Unknown_methods_and_wrong_argument_counts_fail_that_call_only()
    {
        await using var garden = await TestGarden.EnrollAndConnect(_server, "rb-unknown");
        await Assert.ThrowsAsync<HubException>(() => garden.Connection.InvokeAsync<JsonElement>("deployment:explode", new { }));
        await Assert.ThrowsAsync<HubException>(() => garden.Connection.InvokeAsync<JsonElement>(GatewayProtocol.GardenReport, new { }, new { }));
        await AssertStillServing(garden);
    }

    [Fact]
    public async Task An_oversized_payload_is_refused_and_the_connection_survives()
    {
        await using var garden = await TestGarden.EnrollAndConnect(_server, "rb-oversized");
        var huge = new string('x', GatewayProtocol.MaxPayloadBytes + 1024);
        Assert.Equal(GatewayErrors.PayloadTooLarge, await garden.ErrorCode(GatewayProtocol.GardenReport, new { version = huge }));
        await AssertStillServing(garden);
    }

    [Fact]
    public async Task A_flood_is_throttled_and_the_connection_survives()
    {
        await using var garden = await TestGarden.EnrollAndConnect(_server, "rb-flood");
        var replies = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => garden.Invoke(GatewayProtocol.Ping, new { @ref = i.ToString() })));
        Assert.Contains(replies, r => !r.GetProperty("ok").GetBoolean() && r.GetProperty("error").GetProperty("code").GetString() == GatewayErrors.RateLimited);
        await AssertStillServing(garden);
    }

    [Fact]
    public async Task Messages_before_join_are_refused_and_an_incompatible_protocol_is_refused_clearly()
    {
        await using var garden = await TestGarden.EnrollAndConnect(_server, "rb-join", join: false);
        Assert.Equal(GatewayErrors.NotJoined, await garden.ErrorCode(GatewayProtocol.GardenReport, new { version = "1" }));

        var closed = new TaskCompletionSource();
        garden.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        var reply = await garden.Invoke(GatewayProtocol.Join, new { protocol_version = GatewayProtocol.Version + 1 });
        Assert.Equal(GatewayErrors.IncompatibleProtocol, reply.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("protocol", reply.GetProperty("error").GetProperty("message").GetString());
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_connection_without_a_garden_credential_is_rejected()
    {
        var admin = new HubConnectionBuilder()
            .WithUrl(new Uri(_server.BaseAddress, GatewayProtocol.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(_server.AdminToken))
            .Build();
        await Assert.ThrowsAnyAsync<Exception>(() => admin.StartAsync());
        await admin.DisposeAsync();
    }
}

public sealed class ImpatientServer : IAsyncLifetime
{
    public TestServer Server { get; } = new() { Gateway = new GatewayOptions { ClientTimeout = TimeSpan.FromSeconds(2), KeepAlive = TimeSpan.FromSeconds(1) } };
    public Task InitializeAsync() => Server.InitializeAsync();
    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>REFERENCE §5.5: the server drops a connection that stays silent longer than its client timeout (60 s in production).</summary>
public sealed class SilentConnectionTests(ImpatientServer fixture) : IClassFixture<ImpatientServer>
{
    [Fact]
    public async Task A_silent_connection_is_dropped_and_the_garden_goes_offline()
    {
        var (_, body) = await fixture.Server.PostJson("/api/v1/gardens/register", new { name = "silent", host_identifier = "silent-host" });
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Server.BaseAddress, GatewayProtocol.HubPath),
                o => o.AccessTokenProvider = () => Task.FromResult<string?>(body.GetProperty("credential").GetString()))
            .Build();
        connection.KeepAliveInterval = TimeSpan.FromMinutes(5);
        connection.ServerTimeout = TimeSpan.FromMinutes(10);
        var closed = new TaskCompletionSource();
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await connection.StartAsync();
        await connection.InvokeAsync<JsonElement>(GatewayProtocol.Join, new { protocol_version = GatewayProtocol.Version });
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await connection.DisposeAsync();
    }
}
