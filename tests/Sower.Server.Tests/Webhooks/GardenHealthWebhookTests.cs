using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sower.Messages.Webhooks;
using Sower.Server.Tests.Support;
using Sower.Testing;

namespace Sower.Server.Tests.Webhooks;

/// <summary>The real server with a 2-second stale threshold and a real receiver: a garden that goes away is announced
/// once as stale, however many checks see it stale afterwards.</summary>
public sealed class GardenHealthWebhookTests : IAsyncLifetime
{
    private const string Secret = "garden-health-secret-0123456789ab";
    private readonly TestServer _server = new() { StaleAfterSeconds = 2 };
    private readonly RecordingReceiver _receiver = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    [Fact]
    public async Task A_garden_offline_longer_than_the_stale_threshold_is_notified_once_as_stale()
    {
        var added = await _server.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.BaseUrl + "health", secret = Secret, events = new[] { "garden.stale" } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var garden = await TestGarden.EnrollAndConnect(_server, "whk-stale01");
        var sid = garden.Sid;
        await garden.DisposeAsync();

        bool Mine(RecordingReceiver.Received r) => r.Headers["Idempotency-Key"].StartsWith($"garden.stale:{sid}:", StringComparison.Ordinal);
        var received = await Wait.ForAsync(() => Task.FromResult(_receiver.On("/health").FirstOrDefault(Mine)), TimeSpan.FromSeconds(30), "the garden.stale notification");
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal("garden.stale", body.GetProperty("event").GetString());
        Assert.Equal("whk-stale01", body.GetProperty("subject").GetProperty("garden_name").GetString());
        Assert.Equal(sid, body.GetProperty("subject").GetProperty("garden").GetString());
        Assert.True(WebhookPayload.Verify(Secret, received.Headers["X-Sower-Timestamp"], received.Body, received.Headers["X-Sower-Signature"]));

        // Checked every second while it stays away: still one notification for this episode.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Single(_receiver.On("/health"), Mine);
    }

    public async Task DisposeAsync()
    {
        _receiver.Dispose();
        await _server.DisposeAsync();
    }
}
