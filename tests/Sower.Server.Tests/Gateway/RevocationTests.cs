using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Cli;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// Revocation cuts live sessions (issue 12, finding 3): against the real server over WebSockets, an open garden or CLI
/// hub connection is closed within <see cref="Promise"/> when its credential is revoked, rotated, expires, or its garden
/// is deleted, while a connection made with the credential's new secret stays.
/// </summary>
public sealed class RevocationTests(ShiftedClockServer fixture) : IClassFixture<ShiftedClockServer>
{
    /// <summary>What the README promises an operator.</summary>
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(5);

    private readonly ShiftedClock _clock = fixture.Clock;
    private readonly TestServer _server = fixture.Server;

    private async Task<(string Sid, string Credential)> Enroll(string name, string hostIdentifier)
    {
        var (status, body) = await _server.PostJson("/api/v1/gardens/register", new { name, host_identifier = hostIdentifier });
        Assert.Equal(201, status);
        return (body.GetProperty("sid").GetString()!, body.GetProperty("credential").GetString()!);
    }

    private Task<HubProbe> Garden(string credential) => HubProbe.Open(_server.BaseAddress, GatewayProtocol.HubPath, credential);

    private Task<HubProbe> Cli(string token) => HubProbe.Open(_server.BaseAddress, CliHub.Path, token);

    private static async Task<bool> Pings(HubProbe garden)
    {
        var reply = await garden.Connection.InvokeAsync<JsonElement>(GatewayProtocol.Ping, new { @ref = "r" });
        return reply.GetProperty("ok").GetBoolean();
    }

    private async Task<int> Status(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return (int)(await _server.Admin.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task A_garden_connection_is_closed_when_its_credential_is_revoked()
    {
        var (_, credential) = await Enroll("rev-garden", "host-" + Guid.NewGuid());
        await using var garden = await Garden(credential);
        Assert.True(await Pings(garden));

        Assert.Equal(204, await Status(HttpMethod.Delete, $"/api/v1/tokens/{TokenText.Sid(credential)}"));

        Assert.True(await garden.ClosedWithin(Promise), "the garden's connection stayed open after its credential was revoked");
        await Assert.ThrowsAnyAsync<Exception>(() => Garden(credential));
    }

    [Fact]
    public async Task Re_enrolment_closes_the_connection_of_the_rotated_credential_and_keeps_the_new_one()
    {
        var host = "host-" + Guid.NewGuid();
        var (_, old) = await Enroll("rev-rotate", host);
        await using var before = await Garden(old);
        Assert.True(await Pings(before));

        var (_, rotated) = await Enroll("rev-rotate", host);
        Assert.Equal(TokenText.Sid(old), TokenText.Sid(rotated));
        await using var after = await Garden(rotated);

        Assert.True(await before.ClosedWithin(Promise), "the connection of the rotated credential stayed open");
        Assert.True(after.IsOpen);
        Assert.True(await Pings(after), "the connection of the new credential was refused");
    }

    [Fact]
    public async Task Deleting_a_garden_closes_its_connection_even_before_it_joined()
    {
        var (sid, credential) = await Enroll("rev-delete", "host-" + Guid.NewGuid());
        await using var garden = await Garden(credential);

        Assert.Equal(204, await Status(HttpMethod.Delete, $"/api/v1/gardens/{sid}"));

        Assert.True(await garden.ClosedWithin(Promise), "the deleted garden's connection stayed open");
    }

    [Fact]
    public async Task A_cli_connection_is_closed_when_its_token_is_revoked_and_another_tokens_connection_stays()
    {
        var token = await _server.TokenWith(Roles.SeedWrite);
        var bystanderToken = await _server.TokenWith(Roles.SeedWrite);
        await using var cli = await Cli(token);
        await using var bystander = await Cli(bystanderToken);

        Assert.Equal(204, await Status(HttpMethod.Delete, $"/api/v1/tokens/{TokenText.Sid(token)}"));

        Assert.True(await cli.ClosedWithin(Promise), "the CLI connection stayed open after its token was revoked");
        Assert.True(bystander.IsOpen, "revoking one token closed another token's connection");
    }

    [Fact]
    public async Task Regenerating_a_cli_token_closes_the_old_secrets_connection_only()
    {
        var token = await _server.TokenWith(Roles.SeedWrite);
        await using var old = await Cli(token);

        var (status, body) = await _server.PostJson($"/api/v1/tokens/{TokenText.Sid(token)}/regenerate", new { });
        Assert.Equal(200, status);
        await using var fresh = await Cli(body.GetProperty("token").GetString()!);

        Assert.True(await old.ClosedWithin(Promise), "the old secret's CLI connection stayed open");
        Assert.True(fresh.IsOpen, "the new secret's CLI connection was closed");
    }

    [Fact]
    public async Task A_cli_connection_is_closed_once_its_tokens_expiry_date_has_passed()
    {
        var today = _clock.GetCurrentInstant().InUtc().Date;
        var (status, body) = await _server.PostJson("/api/v1/tokens",
            new { description = "expires today", roles = new[] { Roles.SeedWrite }, expires_on = LocalDatePattern.Iso.Format(today) });
        Assert.Equal(201, status);
        await using var cli = await Cli(body.GetProperty("token").GetString()!);
        Assert.False(await cli.ClosedWithin(TimeSpan.FromSeconds(1.5)), "closed while its token was still valid");

        // The token is valid through the end of its expiry date: move past midnight.
        _clock.Offset += today.PlusDays(1).AtMidnight().InUtc().ToInstant() - _clock.GetCurrentInstant() + Duration.FromSeconds(1);

        Assert.True(await cli.ClosedWithin(Promise), "the CLI connection stayed open after its token expired");
    }
}

/// <summary>The real server on a clock the expiry test can move forward.</summary>
public sealed class ShiftedClockServer : IAsyncLifetime
{
    public ShiftedClockServer() => Server = new TestServer { Clock = Clock };

    public ShiftedClock Clock { get; } = new();
    public TestServer Server { get; }

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>The real time plus an offset the test moves (the server reads it through IClock).</summary>
public sealed class ShiftedClock : IClock
{
    private long _offsetTicks;

    public Duration Offset
    {
        get => Duration.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.BclCompatibleTicks);
    }

    public Instant GetCurrentInstant() => SystemClock.Instance.GetCurrentInstant() + Offset;
}
