using System.Text.Json;
using Sower.Messages.Gateway;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// <c>garden:condition:report</c> (issue 16.4): a garden reports its own pending reboot and drift, which the API shows;
/// a report naming another garden, or carrying hostile or oversized values, is refused and changes nothing.
/// </summary>
public sealed class GardenConditionReportTests : IClassFixture<TestServer>, IAsyncLifetime
{
    private const string B = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-b";
    private const string A = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-a";
    private readonly TestServer _server;
    private TestGarden _garden = null!;
    private TestGarden _other = null!;

    public GardenConditionReportTests(TestServer server) => _server = server;

    public async Task InitializeAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        _garden = await TestGarden.EnrollAndConnect(_server, "cond-a-" + suffix);
        _other = await TestGarden.EnrollAndConnect(_server, "cond-b-" + suffix);
        // The read model learns of a new garden asynchronously: every test reads it back through the API.
        foreach (var sid in new[] { _garden.Sid, _other.Sid })
        {
            await Wait.ForAsync(async () => (await _server.Admin.GetAsync($"/api/v1/gardens/{sid}")).IsSuccessStatusCode ? "listed" : null,
                TimeSpan.FromSeconds(30), "the enrolled garden in the read model");
        }
    }

    public async Task DisposeAsync()
    {
        await _garden.DisposeAsync();
        await _other.DisposeAsync();
    }

    private static object Report(string gardenSid, object? pending = null, object? drift = null) =>
        new { garden_sid = gardenSid, reboot_pending = pending, drift };

    private Task<JsonElement> Detail(string sid) => _server.GetJson($"/api/v1/gardens/{sid}");

    [Fact]
    public async Task A_garden_reports_reboot_pending_and_drift_which_the_api_shows_and_a_clear_report_clears()
    {
        await _garden.Ok(GardenConditionReport.Method, Report(_garden.Sid,
            new { system = B, reason = "kernel_changed", since = "2026-12-05T18:00:00Z" },
            new { expected = B, running = A, detail = "the system profile points at another system than Sower deployed", since = "2026-12-05T18:01:00Z" }));
        var raw = await Wait.ForAsync(async () =>
        {
            var d = await Detail(_garden.Sid);
            return d.Opt("reboot_pending") is { ValueKind: JsonValueKind.Object } ? d.GetRawText() : null;
        }, TimeSpan.FromSeconds(10), "the reboot pending in the read model");
        var shown = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(B, shown.GetProperty("reboot_pending").GetProperty("system").GetString());
        Assert.Equal("kernel_changed", shown.GetProperty("reboot_pending").GetProperty("reason").GetString());
        Assert.Equal(A, shown.GetProperty("drift").GetProperty("running").GetString());
        var listed = (await _server.GetJson("/api/v1/gardens?per_page=200")).GetProperty("items").EnumerateArray().Single(g => g.GetProperty("sid").GetString() == _garden.Sid);
        Assert.Equal(JsonValueKind.Object, listed.Opt("drift")?.ValueKind);

        await _garden.Ok(GardenConditionReport.Method, Report(_garden.Sid));
        await Wait.ForAsync(async () => (await Detail(_garden.Sid)).Opt("drift") is null ? "" : null, TimeSpan.FromSeconds(10), "the drift cleared");
        Assert.Null((await Detail(_garden.Sid)).Opt("reboot_pending"));
    }

    [Fact]
    public async Task A_garden_reporting_for_another_garden_is_unauthorized_and_changes_nothing()
    {
        var code = await _other.ErrorCode(GardenConditionReport.Method, Report(_garden.Sid, drift: new { expected = B, running = A, detail = "forged", since = "2026-12-05T18:00:00Z" }));
        Assert.Equal(GatewayErrors.Unauthorized, code);
        await Task.Delay(500);
        Assert.Null((await Detail(_garden.Sid)).Opt("drift"));
        Assert.Null((await Detail(_other.Sid)).Opt("drift"));
    }

    [Fact]
    public async Task Hostile_and_oversized_values_are_invalid_payloads()
    {
        var since = "2026-12-05T18:00:00Z";
        Assert.Equal(GatewayErrors.InvalidPayload, await _garden.ErrorCode(GardenConditionReport.Method,
            Report(_garden.Sid, new { system = "/etc/shadow", reason = "kernel_changed", since })));
        Assert.Equal(GatewayErrors.InvalidPayload, await _garden.ErrorCode(GardenConditionReport.Method,
            Report(_garden.Sid, new { system = B, reason = "<script>alert(1)</script>", since })));
        Assert.Equal(GatewayErrors.InvalidPayload, await _garden.ErrorCode(GardenConditionReport.Method,
            Report(_garden.Sid, drift: new { expected = B, running = A, detail = new string('x', 10_000), since })));
        Assert.Equal(GatewayErrors.InvalidPayload, await _garden.ErrorCode(GardenConditionReport.Method,
            Report(_garden.Sid, drift: new { expected = B, running = A, detail = "ok", since = "2999-01-01T00:00:00Z" })));
        Assert.Equal(GatewayErrors.InvalidPayload, await _garden.ErrorCode(GardenConditionReport.Method,
            new { garden_sid = _garden.Sid, reboot_pending = "yes", drift = 42 }));
        Assert.Equal(GatewayErrors.PayloadTooLarge, await _garden.ErrorCode(GardenConditionReport.Method,
            Report(_garden.Sid, drift: new { expected = B, running = A, detail = new string('x', 300_000), since })));
        await Task.Delay(300);
        var detail = await Detail(_garden.Sid);
        Assert.Null(detail.Opt("drift"));
        Assert.Null(detail.Opt("reboot_pending"));
    }
}
