using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Sower.Actors.Garden;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Garden;

/// <summary>
/// The gateway over HTTP + SignalR (server docs/gateway-protocol.md): enrol with <c>POST &lt;api&gt;/gardens/register</c> using
/// the enrollment token, then connect to the hub <c>/hubs/garden</c> with the garden credential as bearer
/// (<c>access_token</c>), <c>join</c>, and invoke the §5.17 methods; every invocation returns <c>{ok, body, error}</c>.
/// </summary>
public sealed class SignalRGardenGateway : IGardenGateway
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task<EnrollmentResult> EnrollAsync(GardenConfig config, string hostIdentifier, string version, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, config.ApiBase + "/gardens/register")
        {
            Content = JsonContent.Create(new JsonObject { ["name"] = config.Name, ["host_identifier"] = hostIdentifier, ["version"] = version }),
        };
        return await SendEnrollmentAsync(config, request, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<EnrollmentResult> ClaimAsync(GardenConfig config, EnrollmentTicket ticket, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, config.ApiBase + "/gardens/enrollments/" + Uri.EscapeDataString(ticket.EnrollmentSid) + "/claim")
        {
            Content = JsonContent.Create(new JsonObject { ["garden_sid"] = ticket.GardenSid, ["claim"] = ticket.Claim }),
        };
        return await SendEnrollmentAsync(config, request, ticket, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>201 credential, 202 parked for approval (the ticket), 403 deleted/rejected/refused, 404/410 lapsed.</summary>
    private static async Task<EnrollmentResult> SendEnrollmentAsync(GardenConfig config, HttpRequestMessage request, EnrollmentTicket? polled,
        CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", config.AccessToken);
        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        JsonObject? body;
        try { body = JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { body = null; }
        var error = (string?)body?["error"];
        var message = (string?)body?["message"] ?? text;
        if (error == "garden_deleted") throw new GatewayRejectedException(GatewayRejection.GardenDeleted, message);
        if (error == "enrollment_rejected") throw new GatewayRejectedException(GatewayRejection.EnrollmentRejected, message);
        if (polled is not null && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            throw new GatewayRejectedException(GatewayRejection.EnrollmentLapsed, message);
        }
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new GatewayRejectedException(GatewayRejection.EnrollmentRefused, $"enrollment refused ({(int)response.StatusCode}): {text}");
        }
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"enrollment failed ({(int)response.StatusCode}): {text}");
        if (body is null) throw new HttpRequestException("enrollment reply is not a JSON object");
        var sid = (string?)body["sid"] ?? throw new HttpRequestException("enrollment reply has no sid");
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            var ticket = polled ?? new EnrollmentTicket(sid,
                (string?)body["enrollment_sid"] ?? throw new HttpRequestException("enrollment reply has no enrollment_sid"),
                (string?)body["claim"] ?? throw new HttpRequestException("enrollment reply has no claim"));
            return new EnrollmentResult(sid, config.Name, null, ticket, (string?)body["message"]);
        }
        return new EnrollmentResult(sid, (string?)body["name"] ?? config.Name,
            (string?)body["credential"] ?? throw new HttpRequestException("enrollment reply has no credential"));
    }

    public async Task<IGatewaySession> ConnectAsync(GardenConfig config, string credential, IGatewayListener listener, CancellationToken cancellationToken)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(config.Origin + GatewayProtocol.HubPath, options =>
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(credential);
                // WebSockets only, without the negotiate round trip: faster to connected.
                options.SkipNegotiation = true;
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            })
            .AddJsonProtocol(options => options.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();
        hub.ServerTimeout = TimeSpan.FromSeconds(60);
        hub.KeepAliveInterval = TimeSpan.FromSeconds(30);
        hub.On<JsonElement>(GatewayProtocol.PushDeployment, p => listener.OnPush(GatewayProtocol.PushDeployment, JsonNode.Parse(p.GetRawText())));
        hub.On<JsonElement>(GatewayProtocol.PushDeploymentError, p => listener.OnPush(GatewayProtocol.PushDeploymentError, JsonNode.Parse(p.GetRawText())));
        hub.Closed += error => { listener.OnClosed(error); return Task.CompletedTask; };
        try
        {
            await hub.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw new GatewayRejectedException(GatewayRejection.CredentialRevoked, "the server does not know this garden's credential");
        }
        catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.NotAWebSocket)
        {
            // Without negotiate the handshake is the WebSocket upgrade, whose refusal carries no status code we can read:
            // ask the negotiate endpoint with the same credential whether it was the credential that was refused.
            await hub.DisposeAsync().ConfigureAwait(false);
            if (await CredentialRefusedAsync(config, credential, cancellationToken).ConfigureAwait(false) is { } status)
            {
                throw new GatewayRejectedException(GatewayRejection.CredentialRevoked, $"the server refused this garden's credential ({(int)status})");
            }
            throw;
        }
        catch
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var session = new Session(hub);
        var joined = await session.InvokeAsync(GatewayProtocol.Join, GatewayRequests.ToPayload(GatewayRequests.Join(GardenVersion.Current)), cancellationToken).ConfigureAwait(false);
        if (!joined.Ok)
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            if (joined.ErrorCode == GatewayErrors.Unauthorized) throw new GatewayRejectedException(GatewayRejection.CredentialRevoked, joined.ErrorMessage ?? "unauthorized");
            throw new HttpRequestException($"join refused: {joined.ErrorCode} {joined.ErrorMessage}");
        }
        session.ConnectionId = ReadJoinAccepted(joined.Body)?.ConnectionSid;
        return session;
    }

    /// <summary>The status of a refused credential (401/403) on the hub's negotiate endpoint; null when it is accepted or the probe fails.</summary>
    private static async Task<HttpStatusCode?> CredentialRefusedAsync(GardenConfig config, string credential, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Post, config.Origin + GatewayProtocol.HubPath + "/negotiate?negotiateVersion=1");
            probe.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            using var response = await Http.SendAsync(probe, cancellationToken).ConfigureAwait(false);
            return response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? response.StatusCode : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private sealed class Session(HubConnection hub) : IGatewaySession
    {
        public string? ConnectionId { get; set; }

        public async Task<GatewayReply> InvokeAsync(string method, JsonObject payload, CancellationToken cancellationToken)
        {
            var reply = await hub.InvokeCoreAsync<JsonElement>(method, [payload], cancellationToken).ConfigureAwait(false);
            return Parse(reply);
        }

        public async ValueTask DisposeAsync() => await hub.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads a gateway reply <c>{ok, body, error:{code, message}}</c>.</summary>
    public static GatewayReply Parse(JsonElement reply)
    {
        if (reply.ValueKind != JsonValueKind.Object) return GatewayReply.Success(JsonNode.Parse(reply.GetRawText()));
        var node = JsonNode.Parse(reply.GetRawText()) as JsonObject;
        var ok = node?["ok"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        if (ok) return GatewayReply.Success(node?["body"]);
        var error = node?["error"] as JsonObject;
        return GatewayReply.Failure((string?)error?["code"] ?? "error", (string?)error?["message"] ?? "");
    }

    private static JoinAccepted? ReadJoinAccepted(JsonNode? body)
    {
        try { return body?.Deserialize<JoinAccepted>(GatewayProtocol.Json); }
        catch (JsonException) { return null; }
    }
}

public static class GardenVersion
{
    public static string Current { get; } =
        typeof(GardenVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
