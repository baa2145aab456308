using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Sower.Server.Tests.Support;

/// <summary>A real SignalR connection over WebSockets to one of the server's hubs, authenticated with a token, that
/// records when the server closes it.</summary>
public sealed class HubProbe : IAsyncDisposable
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubProbe(HubConnection connection)
    {
        Connection = connection;
        connection.Closed += _ =>
        {
            _closed.TrySetResult();
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }
    public bool IsOpen => Connection.State == HubConnectionState.Connected && !_closed.Task.IsCompleted;

    public static async Task<HubProbe> Open(Uri baseAddress, string path, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, path), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();
        var probe = new HubProbe(connection);
        await connection.StartAsync();
        return probe;
    }

    /// <summary>True when the server closes the connection within <paramref name="within"/>.</summary>
    public async Task<bool> ClosedWithin(TimeSpan within)
    {
        var done = await Task.WhenAny(_closed.Task, Task.Delay(within));
        return done == _closed.Task;
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}

public static class TokenText
{
    /// <summary>The sid of a <c>sower_&lt;sid&gt;_&lt;secret&gt;</c> token.</summary>
    public static string Sid(string token) => token.Split('_')[1];
}
