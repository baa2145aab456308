using System.Net.Http.Json;
using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>
/// Issue 12, findings 4 and 5, against the real server over HTTP and WebSockets: an enrollment token creates new gardens
/// only; re-binding a known host needs its current credential or an admin's approval (parked, listed, approved, rejected,
/// expiring); a deleted garden's host identifier is refused until an admin restores it.
/// </summary>
public sealed class EnrollmentApprovalTests(TestServer server) : IClassFixture<TestServer>
{
    private static object Body(string name, string host, string? current = null) =>
        current is null ? new { name, host_identifier = host } : new { name, host_identifier = host, current_credential = current };

    private async Task<(string Sid, string Credential, HttpClient Enroller)> EnrollNew(string name, string host)
    {
        var enroller = server.Client(await server.TokenWith(Roles.GardenRegister));
        var (status, body) = await server.PostJson("/api/v1/gardens/register", Body(name, host), enroller);
        Assert.Equal(201, status);
        Assert.False(body.GetProperty("rebound").GetBoolean());
        return (body.GetProperty("sid").GetString()!, body.GetProperty("credential").GetString()!, enroller);
    }

    private async Task<int> Verify(string credential)
    {
        using var client = server.Client(credential);
        return (int)(await client.GetAsync("/api/v1/auth/verify")).StatusCode;
    }

    private async Task<JsonElement> Park(string name, string host)
    {
        using var attacker = server.Client(await server.TokenWith(Roles.GardenRegister));
        var (status, body) = await server.PostJson("/api/v1/gardens/register", Body(name, host), attacker);
        Assert.True(status == 202, $"re-enrollment answered {status}: {body}");
        Assert.Equal("pending_approval", body.GetProperty("status").GetString());
        Assert.False(body.TryGetProperty("credential", out _));
        return body;
    }

    private async Task<(int Status, JsonElement Body)> Claim(JsonElement parked, string? claim = null)
    {
        using var enroller = server.Client(await server.TokenWith(Roles.GardenRegister));
        return await server.PostJson($"/api/v1/gardens/enrollments/{parked.GetProperty("enrollment_sid").GetString()}/claim",
            new { garden_sid = parked.GetProperty("sid").GetString(), claim = claim ?? parked.GetProperty("claim").GetString() }, enroller);
    }

    /// <summary>The garden's name once the read model has it.</summary>
    private Task<string> Name(string sid) => Wait.ForAsync(async () => (await server.GetJson($"/api/v1/gardens/{sid}")).GetProperty("name").GetString(), "the garden listed");

    private async Task<bool> Listed(string enrollment) =>
        (await server.GetJson("/api/v1/gardens/enrollments")).GetProperty("items").EnumerateArray().Any(e => e.GetProperty("sid").GetString() == enrollment);

    [Fact]
    public async Task An_enrollment_token_cannot_take_over_a_known_host_the_request_waits_and_the_old_credential_keeps_working()
    {
        var host = "takeover-" + Guid.NewGuid();
        var (sid, credential, _) = await EnrollNew("takeover-web", host);

        var parked = await Park("evil-name", host);
        Assert.Equal(sid, parked.GetProperty("sid").GetString());
        var enrollment = parked.GetProperty("enrollment_sid").GetString()!;
        Assert.Contains("sower garden enrollments approve " + enrollment, parked.GetProperty("message").GetString());

        Assert.Equal(200, await Verify(credential));
        Assert.Equal("takeover-web", await Name(sid));
        await using (var garden = await TestGarden.Connect(server, sid, "takeover-web", credential))
        {
            await garden.Join();
        }
        await Wait.ForAsync(async () => await Listed(enrollment) ? "" : null, "the pending enrollment listed");
        var listed = (await server.GetJson("/api/v1/gardens/enrollments")).GetProperty("items").EnumerateArray()
            .Single(e => e.GetProperty("sid").GetString() == enrollment);
        Assert.Equal("evil-name", listed.GetProperty("name").GetString());
        Assert.Equal("takeover-web", listed.GetProperty("garden_name").GetString());
        Assert.Equal("pending", listed.GetProperty("status").GetString());

        // Nothing to collect while it waits, and a wrong claim learns nothing.
        Assert.Equal(202, (await Claim(parked)).Status);
        Assert.Equal(404, (await Claim(parked, "not-the-claim")).Status);
    }

    [Fact]
    public async Task Approving_an_enrollment_re_binds_the_garden_the_new_credential_works_and_the_old_one_does_not()
    {
        var host = "approve-" + Guid.NewGuid();
        var (sid, credential, _) = await EnrollNew("approve-web", host);
        var parked = await Park("approve-web-reinstalled", host);
        var enrollment = parked.GetProperty("enrollment_sid").GetString()!;
        await Wait.ForAsync(async () => await Listed(enrollment) ? "" : null, "the pending enrollment listed");

        var (approved, decision) = await server.PostJson($"/api/v1/gardens/enrollments/{enrollment}/approve", null);
        Assert.Equal(200, approved);
        Assert.Equal("approved", decision.GetProperty("status").GetString());
        Assert.Equal(401, await Verify(credential));

        var (claimed, body) = await Claim(parked);
        Assert.Equal(201, claimed);
        Assert.Equal(sid, body.GetProperty("sid").GetString());
        Assert.True(body.GetProperty("rebound").GetBoolean());
        var fresh = body.GetProperty("credential").GetString()!;
        Assert.Equal(200, await Verify(fresh));
        await using (var garden = await TestGarden.Connect(server, sid, "approve-web-reinstalled", fresh))
        {
            await garden.Join();
        }
        Assert.Equal(401, await Verify(credential));
        await Wait.ForAsync(async () => await Name(sid) == "approve-web-reinstalled" ? "" : null, "the garden renamed by the approval");
        await Wait.ForAsync(async () => await Listed(enrollment) ? null : "", "the completed enrollment gone from the list");
        // Collected once: the claim is spent, a second approval finds nothing.
        Assert.Equal(404, (await Claim(parked)).Status);
        Assert.Equal(404, (await server.PostJson($"/api/v1/gardens/enrollments/{enrollment}/approve", null)).Status);
    }

    [Fact]
    public async Task A_rejected_enrollment_is_refused_to_its_requester_and_the_garden_keeps_its_credential_and_name()
    {
        var host = "reject-" + Guid.NewGuid();
        var (sid, credential, _) = await EnrollNew("reject-web", host);
        var parked = await Park("intruder", host);
        var enrollment = parked.GetProperty("enrollment_sid").GetString()!;
        await Wait.ForAsync(async () => await Listed(enrollment) ? "" : null, "the pending enrollment listed");

        var (rejected, decision) = await server.PostJson($"/api/v1/gardens/enrollments/{enrollment}/reject", null);
        Assert.Equal(200, rejected);
        Assert.Equal("rejected", decision.GetProperty("status").GetString());
        var (claimed, body) = await Claim(parked);
        Assert.Equal(403, claimed);
        Assert.Equal("enrollment_rejected", body.GetProperty("error").GetString());
        Assert.Equal(409, (await server.PostJson($"/api/v1/gardens/enrollments/{enrollment}/approve", null)).Status);
        Assert.Equal(200, await Verify(credential));
        Assert.Equal("reject-web", await Name(sid));
        await Wait.ForAsync(async () => await Listed(enrollment) ? null : "", "the rejected enrollment gone from the list");
    }

    [Fact]
    public async Task A_garden_proving_its_current_credential_re_binds_at_once_and_another_gardens_credential_proves_nothing()
    {
        var host = "proof-" + Guid.NewGuid();
        var (sid, credential, enroller) = await EnrollNew("proof-web", host);
        var (_, other, _) = await EnrollNew("proof-other", "proof-other-" + Guid.NewGuid());

        var (parkedStatus, _) = await server.PostJson("/api/v1/gardens/register", Body("proof-web", host, other), enroller);
        Assert.Equal(202, parkedStatus);
        Assert.Equal(200, await Verify(credential));

        var (status, body) = await server.PostJson("/api/v1/gardens/register", Body("proof-web-2", host, credential), enroller);
        Assert.Equal(201, status);
        Assert.Equal(sid, body.GetProperty("sid").GetString());
        Assert.True(body.GetProperty("rebound").GetBoolean());
        Assert.Equal(401, await Verify(credential));
        Assert.Equal(200, await Verify(body.GetProperty("credential").GetString()!));
        Assert.Equal(200, await Verify(other));
    }

    [Fact]
    public async Task A_deleted_garden_stays_deleted_even_for_an_admin_until_an_admin_restores_it()
    {
        var host = "tomb-" + Guid.NewGuid();
        var (sid, credential, enroller) = await EnrollNew("tomb-web", host);
        Assert.Equal(204, (int)(await server.Admin.DeleteAsync($"/api/v1/gardens/{sid}")).StatusCode);
        Assert.Equal(401, await Verify(credential));

        foreach (var client in new[] { enroller, server.Admin })
        {
            var (status, body) = await server.PostJson("/api/v1/gardens/register", Body("tomb-web", host), client);
            Assert.Equal(403, status);
            Assert.Equal("garden was deleted; an admin must restore it", body.GetProperty("message").GetString());
            Assert.Contains("garden was deleted; an admin must restore it", body.ToString());
        }
        await Wait.ForAsync(async () => (int)(await server.Admin.GetAsync($"/api/v1/gardens/{sid}")).StatusCode == 404 ? "" : null, "the garden gone");
        var deleted = await Wait.ForAsync(async () => (await server.GetJson("/api/v1/gardens/deleted")).GetProperty("items").EnumerateArray()
            .Where(g => g.GetProperty("sid").GetString() == sid).Select(g => (JsonElement?)g).FirstOrDefault() is { } g ? Tuple.Create(g) : null,
            "the tombstone listed");
        Assert.Equal("tomb-web", deleted.Item1.GetProperty("name").GetString());

        foreach (var role in new[] { Roles.GardenRegister, Roles.GardenRead, Roles.DeploymentWrite })
        {
            using var client = server.Client(await server.TokenWith(role));
            Assert.Equal(403, (await server.PostJson($"/api/v1/gardens/{sid}/restore", null, client)).Status);
        }
        Assert.Equal(204, (await server.PostJson($"/api/v1/gardens/{sid}/restore", null)).Status);
        Assert.Equal(404, (await server.PostJson($"/api/v1/gardens/{sid}/restore", null)).Status);

        var (again, enrolled) = await server.PostJson("/api/v1/gardens/register", Body("tomb-web", host), enroller);
        Assert.Equal(201, again);
        Assert.Equal(sid, enrolled.GetProperty("sid").GetString());
        await using var garden = await TestGarden.Connect(server, sid, "tomb-web", enrolled.GetProperty("credential").GetString()!);
        await garden.Join();
        await Wait.ForAsync(async () => (await server.GetJson("/api/v1/gardens/deleted")).GetProperty("items").EnumerateArray()
            .Any(g => g.GetProperty("sid").GetString() == sid) ? null : "", "the tombstone gone");
    }

    [Fact]
    public async Task Enrollment_endpoints_refuse_hostile_values()
    {
        Assert.Equal(404, (await server.PostJson("/api/v1/gardens/enrollments/enr_%27%20OR%201=1/approve", null)).Status);
        Assert.Equal(404, (await server.PostJson("/api/v1/gardens/enrollments/enr_aaaaaaaaaaaaaaaaaaaaaaaa/approve", null)).Status);
        Assert.Equal(404, (await server.PostJson("/api/v1/gardens/grdn_aaaaaaaaaaaaaaaaaaaaaaaa/restore", null)).Status);
        var (status, _) = await server.PostJson("/api/v1/gardens/enrollments/enr_aaaaaaaaaaaaaaaaaaaaaaaa/claim",
            new { garden_sid = "not-a-sid", claim = new string('x', 500) });
        Assert.Equal(422, status);
        Assert.Equal(404, (await server.PostJson("/api/v1/gardens/enrollments/enr_aaaaaaaaaaaaaaaaaaaaaaaa/claim",
            new { garden_sid = "grdn_aaaaaaaaaaaaaaaaaaaaaaaa", claim = "x" })).Status);
    }
}

/// <summary>A parked enrollment nobody decides lapses after the configured time (here 2 s).</summary>
public sealed class EnrollmentExpiryTests : IAsyncLifetime
{
    private readonly TestServer _server = new() { EnrollmentExpirySeconds = 2 };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task An_enrollment_nobody_decides_expires_and_can_then_be_neither_approved_nor_claimed()
    {
        var host = "expiry-" + Guid.NewGuid();
        using var enroller = _server.Client(await _server.TokenWith(Roles.GardenRegister));
        var (created, first) = await _server.PostJson("/api/v1/gardens/register", new { name = "expiry-web", host_identifier = host }, enroller);
        Assert.Equal(201, created);
        var (status, parked) = await _server.PostJson("/api/v1/gardens/register", new { name = "expiry-web", host_identifier = host }, enroller);
        Assert.Equal(202, status);
        var enrollment = parked.GetProperty("enrollment_sid").GetString()!;
        await Wait.ForAsync(async () => (await _server.GetJson("/api/v1/gardens/enrollments")).GetProperty("items").EnumerateArray()
            .Any(e => e.GetProperty("sid").GetString() == enrollment) ? "" : null, "the pending enrollment listed");

        await Wait.ForAsync(async () => (await _server.GetJson("/api/v1/gardens/enrollments")).GetProperty("items").EnumerateArray()
            .Any(e => e.GetProperty("sid").GetString() == enrollment) ? null : "", TimeSpan.FromSeconds(10), "the enrollment lapsed from the list");
        var (approve, body) = await _server.PostJson($"/api/v1/gardens/enrollments/{enrollment}/approve", null);
        Assert.Equal(409, approve);
        Assert.Equal("enrollment_expired", body.GetProperty("error").GetString());
        var (claim, _) = await _server.PostJson($"/api/v1/gardens/enrollments/{enrollment}/claim",
            new { garden_sid = parked.GetProperty("sid").GetString(), claim = parked.GetProperty("claim").GetString() }, enroller);
        Assert.Equal(410, claim);
        using var old = _server.Client(first.GetProperty("credential").GetString());
        Assert.Equal(200, (int)(await old.GetAsync("/api/v1/auth/verify")).StatusCode);
    }
}
