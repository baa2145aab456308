using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Sower.Messages.Gateway;

namespace Sower.Cluster.Tests.Support;

/// <summary>A garden as the gateway sees it, connecting like the real one (WebSockets, no negotiation, so no sticky
/// session is needed) through the load balancer, and reconnecting (with join) whenever its connection drops.</summary>
public sealed class GatewayGarden : IAsyncDisposable
{
    private readonly string _url;
    private readonly CancellationTokenSource _stop = new();
    private HubConnection? _connection;
    private Task? _loop;

    private GatewayGarden(string url, string sid, string credential)
    {
        _url = url;
        Sid = sid;
        Credential = credential;
    }

    public string Sid { get; }
    public string Credential { get; }
    public int Connects { get; private set; }
    public bool Joined { get; private set; }

    public static async Task<GatewayGarden> EnrollAsync(string url, HttpClient admin, string name)
    {
        using var response = await admin.PostAsJsonAsync(url + "/api/v1/gardens/register", new { name, host_identifier = "host-" + name });
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201) throw new InvalidOperationException($"enrollment answered {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        var garden = new GatewayGarden(url, body.GetProperty("sid").GetString()!, body.GetProperty("credential").GetString()!);
        garden._loop = garden.RunAsync();
        return garden;
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var closed = new TaskCompletionSource();
                var connection = new HubConnectionBuilder()
                    .WithUrl(_url + GatewayProtocol.HubPath, o =>
                    {
                        o.AccessTokenProvider = () => Task.FromResult<string?>(Credential);
                        o.SkipNegotiation = true;
                        o.Transports = HttpTransportType.WebSockets;
                    })
                    .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
                    .Build();
                connection.Closed += _ => { Joined = false; closed.TrySetResult(); return Task.CompletedTask; };
                await connection.StartAsync(_stop.Token);
                _connection = connection;
                Connects++;
                var reply = await connection.InvokeAsync<JsonElement>(GatewayProtocol.Join,
                    GatewayRequests.ToPayload(GatewayRequests.Join("test")), _stop.Token);
                Joined = reply.GetProperty("ok").GetBoolean();
                await closed.Task.WaitAsync(_stop.Token);
                await connection.DisposeAsync();
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                Joined = false;
            }
            try { await Task.Delay(500, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { if (_loop is not null) await _loop; }
        catch (OperationCanceledException) { }
        if (_connection is not null) await _connection.DisposeAsync();
    }
}
