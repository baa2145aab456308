using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// The reboot lock and inhibition methods of the gateway (issue 14.3/14.4) against a real server: a garden takes a lease
/// only for its own deployment, releases only its own, releases "booted" only from a new connection, and hostile values
/// are refused; operators see and force-release leases over the API.
/// </summary>
public sealed class RebootLockGatewayTests : IClassFixture<TestServer>, IAsyncLifetime
{
    private readonly TestServer _server;
    private TestGarden _owner = null!;
    private TestGarden _intruder = null!;
    private string _deployment = "";

    public RebootLockGatewayTests(TestServer server) => _server = server;

    public async Task InitializeAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        _owner = await TestGarden.EnrollAndConnect(_server, "rbl-a-" + suffix);
        _intruder = await TestGarden.EnrollAndConnect(_server, "rbl-b-" + suffix);
        await _owner.Sync(Subscriptions.NixOS("system", _owner.Name, Subscriptions.RealtimePolicy));
        await Seeds.Submit(_server, _owner.Name);
        var (_, push) = await _owner.NextPush((n, p) => n == GatewayProtocol.PushDeployment && !p.GetProperty("skipped").GetBoolean());
        _deployment = push.GetProperty("sid").GetString()!;
        // Each test's owner in a group of its own, so the tests of this class never wait for each other's leases.
        var rules = await _server.Admin.PutAsJsonAsync("/api/v1/reboot-locks/rules",
            new { rules = new[] { new { group = "g-" + suffix, selector = "name=" + _owner.Name, max_concurrent_reboots = 1 } } });
        Assert.Equal(HttpStatusCode.OK, rules.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _server.Admin.DeleteAsync($"/api/v1/reboot-locks/{_owner.Sid}");
        await _owner.DisposeAsync();
        await _intruder.DisposeAsync();
    }

    private async Task<JsonElement[]> Leases() =>
        [.. (await _server.GetJson("/api/v1/reboot-locks")).GetProperty("leases").EnumerateArray()];

    [Fact]
    public async Task The_owner_gets_a_lease_and_asking_again_is_idempotent()
    {
        var first = await _owner.Ok(GatewayProtocol.RebootLockAcquire, new { deployment_sid = _deployment });
        Assert.True(first.GetProperty("granted").GetBoolean());
        var again = await _owner.Ok(GatewayProtocol.RebootLockAcquire, new { deployment_sid = _deployment });
        Assert.Equal(first.GetProperty("expires_at").GetString(), again.GetProperty("expires_at").GetString());
        var lease = Assert.Single(await Leases(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);
        Assert.Equal(_deployment, lease.GetProperty("deployment_sid").GetString());
    }

    [Fact]
    public async Task Another_garden_can_neither_acquire_for_nor_release_the_owners_deployment()
    {
        await _owner.Ok(GatewayProtocol.RebootLockAcquire, new { deployment_sid = _deployment });
        Assert.Equal(GatewayErrors.DeploymentNotFound, await _intruder.ErrorCode(GatewayProtocol.RebootLockAcquire, new { deployment_sid = _deployment }));
        Assert.Equal(GatewayErrors.NotLeaseHolder, await _intruder.ErrorCode(GatewayProtocol.RebootLockRelease, new { deployment_sid = _deployment, reason = "not_needed" }));
        Assert.Equal(GatewayErrors.NotLeaseHolder, await _intruder.ErrorCode(GatewayProtocol.RebootLockRelease, new { deployment_sid = _deployment, reason = "booted" }));
        Assert.Equal(GatewayErrors.DeploymentNotFound,
            await _owner.ErrorCode(GatewayProtocol.RebootLockAcquire, new { deployment_sid = "dply_zzzzzzzzzzzzzzzzzzzzzzzz" }));
        Assert.Single(await Leases(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);
        Assert.DoesNotContain(await Leases(), l => l.GetProperty("garden_sid").GetString() == _intruder.Sid);
    }

    [Fact]
    public async Task A_booted_release_counts_only_from_a_new_connection()
    {
        await _owner.Ok(GatewayProtocol.RebootLockAcquire, new { deployment_sid = _deployment });
        Assert.Equal(GatewayErrors.InvalidPayload, await _owner.ErrorCode(GatewayProtocol.RebootLockRelease, new { deployment_sid = _deployment, reason = "booted" }));
        Assert.Single(await Leases(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);

        await using var afterBoot = await TestGarden.Connect(_server, _owner.Sid, _owner.Name, _owner.Credential);
        await afterBoot.Join();
        await afterBoot.Ok(GatewayProtocol.RebootLockRelease, new { deployment_sid = _deployment, reason = "booted" });
        Assert.DoesNotContain(await Leases(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);
    }

    public static TheoryData<string, string> HostilePayloads => new()
    {
        { GatewayProtocol.RebootLockAcquire, """{}""" },
        { GatewayProtocol.RebootLockAcquire, """{"deployment_sid":"../../etc/passwd"}""" },
        { GatewayProtocol.RebootLockAcquire, """{"deployment_sid":42}""" },
        { GatewayProtocol.RebootLockAcquire, """{"deployment_sid":"dply_aaaaaaaaaaaaaaaaaaaaaaaa' OR 1=1"}""" },
        { GatewayProtocol.RebootLockRelease, """{"deployment_sid":"dply_aaaaaaaaaaaaaaaaaaaaaaaa","reason":"forced"}""" },
        { GatewayProtocol.RebootLockRelease, """{"deployment_sid":"dply_aaaaaaaaaaaaaaaaaaaaaaaa","reason":"expired"}""" },
        { GatewayProtocol.RebootLockRelease, """{"deployment_sid":"dply_aaaaaaaaaaaaaaaaaaaaaaaa"}""" },
        { GatewayProtocol.GardenInhibition, """{"inhibited":true}""" },
        { GatewayProtocol.GardenInhibition, """{"inhibited":true,"reason":"two\nlines"}""" },
        { GatewayProtocol.GardenInhibition, """{"inhibited":"yes","reason":"x"}""" },
        { GatewayProtocol.GardenInhibition, """{"inhibited":false,"reason":"x"}""" },
        { GatewayProtocol.GardenInhibition, """{"reason":"x"}""" },
    };

    [Theory]
    [MemberData(nameof(HostilePayloads))]
    public async Task Hostile_values_are_refused_as_invalid_and_change_nothing(string method, string payload)
    {
        Assert.Equal(GatewayErrors.InvalidPayload, await _owner.ErrorCode(method, JsonDocument.Parse(payload).RootElement));
        Assert.Equal(GatewayErrors.InvalidPayload, await _owner.ErrorCode(GatewayProtocol.GardenInhibition, new { inhibited = true, reason = new string('x', 501) }));
        var state = await _server.GetJson("/api/v1/reboot-locks");
        Assert.DoesNotContain(state.GetProperty("leases").EnumerateArray(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);
        Assert.DoesNotContain(state.GetProperty("inhibited").EnumerateArray(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);
    }

    [Fact]
    public async Task An_inhibited_garden_is_listed_until_it_reports_the_end()
    {
        await _owner.Ok(GatewayProtocol.GardenInhibition, new { inhibited = true, reason = "inhibit file /run/sower/inhibit exists" });
        var inhibited = Assert.Single((await _server.GetJson("/api/v1/reboot-locks")).GetProperty("inhibited").EnumerateArray(),
            i => i.GetProperty("garden_sid").GetString() == _owner.Sid);
        Assert.Equal("inhibit file /run/sower/inhibit exists", inhibited.GetProperty("reason").GetString());
        await _owner.Ok(GatewayProtocol.GardenInhibition, new { inhibited = false, reason = (string?)null });
        Assert.DoesNotContain((await _server.GetJson("/api/v1/reboot-locks")).GetProperty("inhibited").EnumerateArray(),
            i => i.GetProperty("garden_sid").GetString() == _owner.Sid);
    }

    [Fact]
    public async Task An_operator_force_releases_a_lease_and_bad_rules_are_refused_with_every_problem()
    {
        await _owner.Ok(GatewayProtocol.RebootLockAcquire, new { deployment_sid = _deployment });
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Admin.DeleteAsync($"/api/v1/reboot-locks/{_owner.Sid}")).StatusCode);
        Assert.DoesNotContain(await Leases(), l => l.GetProperty("garden_sid").GetString() == _owner.Sid);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Admin.DeleteAsync($"/api/v1/reboot-locks/{_owner.Sid}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Admin.DeleteAsync("/api/v1/reboot-locks/..%2F..%2Fetc")).StatusCode);

        var bad = await _server.Admin.PutAsJsonAsync("/api/v1/reboot-locks/rules",
            new { rules = new object[] { new { group = "default", selector = "role=we b", max_concurrent_reboots = 0 } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(3, errors.Count);
    }
}
