using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>
/// The CLI as an actor client of the gateway (ARCHITECTURE §2.2): one authenticated SignalR connection to
/// <c>/hubs/cli</c>; <c>SubmitSeed</c> and <c>FollowDeployment</c> stream events (each a JSON object with a
/// <c>kind</c>). Connection failures become CliFailures with the usual exit codes.
/// </summary>
public sealed class CliHubClient : IAsyncDisposable
{
    public const string Path = "/hubs/cli";

    private readonly HubConnection _connection;
    private readonly ServerConnection _server;

    public CliHubClient(ServerConnection server)
    {
        _server = server;
        _connection = new HubConnectionBuilder()
            .WithUrl(server.Root + Path, o =>
            {
                if (server.Token is { } token) o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.None))
            .Build();
    }

    public async Task Connect(CancellationToken cancellation)
    {
        try
        {
            await _connection.StartAsync(cancellation);
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.Unauthorized)
        {
            throw _server.Token is null ? ApiClient.TokenRequired() : ApiClient.Failure(HttpStatusCode.Unauthorized, null, "", null);
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.NotFound)
        {
            throw new CliFailure(ExitCodes.Failure, $"the server at {_server.Root} has no CLI gateway ({Path}); is it a Sower server of this version?");
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status)
        {
            throw ApiClient.Failure(status, null, "", null);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or System.Net.Sockets.SocketException
                                       or System.Net.WebSockets.WebSocketException)
        {
            throw ApiClient.Unreachable(_server.Root, e);
        }
    }

    /// <summary>Streams the events of a hub method; authorization failures name the missing role.</summary>
    public async IAsyncEnumerable<JsonObject> Stream(string method, string role, object?[] args, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var stream = _connection.StreamAsyncCore<JsonElement>(method, args, cancellation);
        await using var enumerator = stream.GetAsyncEnumerator(cancellation);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync();
            }
            catch (HubException e) when (e.Message.Contains("unauthorized", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliFailure(ExitCodes.Failure, $"the access token lacks the {role} role needed for this");
            }
            catch (HubException e)
            {
                throw new CliFailure(ExitCodes.Failure, $"the server failed: {e.Message}");
            }
            catch (Exception e) when (e is IOException or System.Net.WebSockets.WebSocketException or InvalidOperationException && !cancellation.IsCancellationRequested)
            {
                throw new CliFailure(ExitCodes.Unreachable, $"lost the connection to the server at {_server.Root}: {e.Message.TrimEnd('.')}");
            }
            if (!more) yield break;
            if (JsonNode.Parse(enumerator.Current.GetRawText()) is JsonObject o) yield return o;
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
