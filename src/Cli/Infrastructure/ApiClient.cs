using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>
/// The REST API as the CLI uses it. Every failure becomes a <see cref="CliFailure"/> with one sentence and the right
/// exit code: unreachable 5, not found 3, denied by policy 4, everything else 1.
/// </summary>
public sealed class ApiClient(ServerConnection connection) : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = RequestTimeout };

    public ServerConnection Connection { get; } = connection;

    public Task<JsonNode> Get(string path, string role, Func<string>? notFound = null) => Send(HttpMethod.Get, path, null, role, notFound);

    public Task<JsonNode> Post(string path, JsonNode? body, string role, Func<string>? notFound = null) => Send(HttpMethod.Post, path, body, role, notFound);

    public Task<JsonNode> Put(string path, JsonNode? body, string role, Func<string>? notFound = null) => Send(HttpMethod.Put, path, body, role, notFound);

    public Task<JsonNode> Delete(string path, string role, Func<string>? notFound = null) => Send(HttpMethod.Delete, path, null, role, notFound);

    private async Task<JsonNode> Send(HttpMethod method, string path, JsonNode? body, string role, Func<string>? notFound)
    {
        using var request = new HttpRequestMessage(method, Connection.ApiBase + path);
        if (Connection.Token is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
        {
            throw Unreachable(Connection.Root, e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            JsonNode? json = null;
            if (text.Length > 0)
            {
                try
                {
                    json = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    throw new CliFailure(ExitCodes.Failure,
                        $"the server at {Connection.Root} did not answer like a Sower server (HTTP {(int)response.StatusCode}, not JSON); check --endpoint");
                }
            }
            if (response.IsSuccessStatusCode) return json ?? new JsonObject();
            if (response.StatusCode == HttpStatusCode.Unauthorized && Connection.Token is null) throw TokenRequired();
            throw Failure(response.StatusCode, json, role, notFound);
        }
    }

    public static CliFailure TokenRequired() => new(ExitCodes.Failure,
        "the server requires an access token: use --access-token, --access-token-file or SOWER_ACCESS_TOKEN");

    public static CliFailure Unreachable(string root, Exception e)
    {
        var reason = e switch
        {
            TaskCanceledException => $"no answer within {RequestTimeout.TotalSeconds:0} s",
            HttpRequestException { InnerException: SocketException s } => s.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                SocketError.TimedOut => "connection timed out",
                _ => s.Message.TrimEnd('.'),
            },
            HttpRequestException h when h.HttpRequestError == HttpRequestError.NameResolutionError => "host not found",
            _ => (e.InnerException?.Message ?? e.Message).TrimEnd('.'),
        };
        return new CliFailure(ExitCodes.Unreachable, $"cannot reach the server at {root}: {reason}");
    }

    public static CliFailure Failure(HttpStatusCode status, JsonNode? json, string role, Func<string>? notFound)
    {
        var code = json?["error"]?.GetValueKind() == JsonValueKind.String ? (string?)json["error"] : null;
        var message = json?["message"]?.GetValueKind() == JsonValueKind.String ? (string?)json["message"] : null;
        var errors = json?["errors"] is JsonArray list ? string.Join("; ", list.Select(e => e?.ToString())) : null;
        return status switch
        {
            HttpStatusCode.Unauthorized => new CliFailure(ExitCodes.Failure,
                "the server rejected the access token (unknown, expired or revoked); check --access-token or SOWER_ACCESS_TOKEN"),
            HttpStatusCode.Forbidden => new CliFailure(ExitCodes.Failure, $"the access token lacks the {role} role needed for this"),
            HttpStatusCode.NotFound => new CliFailure(ExitCodes.NotFound, notFound?.Invoke() ?? message ?? code ?? "not found"),
            HttpStatusCode.Conflict when code == "policy_denied" => new CliFailure(ExitCodes.DeniedByPolicy,
                "denied by policy: no rule of the subscription's policy allows a manual deployment now"),
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => new CliFailure(ExitCodes.Failure,
                $"the server rejected the request: {errors ?? message ?? code ?? "invalid request"}"),
            HttpStatusCode.Conflict => new CliFailure(ExitCodes.Failure, $"the server refused: {message ?? code ?? "conflict"}"),
            HttpStatusCode.ServiceUnavailable => new CliFailure(ExitCodes.Failure, $"the server is not ready: {message ?? code ?? "unavailable"}; retry"),
            _ => new CliFailure(ExitCodes.Failure, $"the server failed (HTTP {(int)status}{(code is null ? "" : ": " + code)})"),
        };
    }

    public void Dispose() => _http.Dispose();
}
