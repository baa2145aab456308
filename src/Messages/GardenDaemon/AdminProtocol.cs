using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>The admin-socket protocol (REFERENCE §5.15): one request line, replies each followed by <c>complete</c>.</summary>
public static class AdminProtocol
{
    public const int MaxLineBytes = 65_536;
    public const string Unauthorized = "unauthorized";
    public const string DeployNeedsTarget = "deploy requires a seed_type or sid";
    public const string SubscriptionNotFound = "subscription not found";
    public const string MultipleMatched = "multiple subscriptions matched";
    public const string NotSynced = "subscriptions not synced yet";
    public const string NotConnected = "not connected to server";
    public const string PolicyDenied = "policy denied";
    public const string ApprovalRequired = "approval required";
    public const string DeploymentEnqueued = "deployment enqueued";
    public const string ReloadRequested = "reload requested";

    public static string SubscriptionNotFoundForSid(string sid) => $"subscription not found for sid {sid}";

    public static string Ok(string id, string data) => Line(new JsonObject { ["v"] = 1, ["id"] = id, ["kind"] = "ok", ["data"] = data });
    public static string Error(string id, string data) => Line(new JsonObject { ["v"] = 1, ["id"] = id, ["kind"] = "error", ["data"] = data });
    public static string Complete(string id, int exitCode) => Line(new JsonObject { ["v"] = 1, ["id"] = id, ["kind"] = "complete", ["exit_code"] = exitCode });
    public static string Status(string id, JsonObject status) => Line(new JsonObject { ["v"] = 1, ["id"] = id, ["kind"] = "ok", ["status"] = status });

    private static string Line(JsonObject o) => o.ToJsonString() + "\n";

    /// <summary>Parses one request line; <paramref name="error"/> is the detail for <c>invalid request: &lt;detail&gt;</c>.</summary>
    public static bool TryParse(string line, out AdminRequest? request, out string id, out string? error)
    {
        request = null;
        id = "";
        JsonNode? node;
        try { node = JsonNode.Parse(line); }
        catch (JsonException e) { error = $"invalid request: bad JSON: {e.Message}"; return false; }
        if (node is not JsonObject o) { error = "invalid request: expected a JSON object"; return false; }
        id = o["id"] is JsonValue idv && idv.TryGetValue<string>(out var s) ? s : "";
        if (o["v"] is not JsonValue vv || !vv.TryGetValue<int>(out var v) || v != 1) { error = "invalid request: unsupported protocol version (expected v=1)"; return false; }
        var kind = o["kind"] is JsonValue kv && kv.TryGetValue<string>(out var k) ? k : null;
        switch (kind)
        {
            case null:
                error = "invalid request: missing kind";
                return false;
            case "status":
                request = new AdminRequest.Status(id);
                break;
            case "reload":
                request = new AdminRequest.Reload(id);
                break;
            case "deploy":
                var payload = o["payload"];
                if (payload is not (null or JsonObject)) { error = "invalid request: payload must be an object"; return false; }
                var p = payload as JsonObject ?? new JsonObject();
                SeedType? seedType = null;
                if (p["seed_type"] is { } st)
                {
                    if (st is not JsonValue stv || !stv.TryGetValue<string>(out var stText) || !SeedTypes.TryParse(stText, out var parsedType))
                    { error = $"invalid request: unknown seed_type {st.ToJsonString()}"; return false; }
                    seedType = parsedType;
                }
                string? sid = null;
                if (p["sid"] is { } sidNode)
                {
                    if (sidNode is not JsonValue sv || !sv.TryGetValue<string>(out sid)) { error = "invalid request: sid must be a string"; return false; }
                }
                var force = false;
                if (p["force"] is { } forceNode && (forceNode is not JsonValue fv || !fv.TryGetValue<bool>(out force)))
                { error = "invalid request: force must be a boolean"; return false; }
                request = new AdminRequest.Deploy(id, seedType, sid, force);
                break;
            default:
                error = $"invalid request: unknown kind \"{kind}\"";
                return false;
        }
        error = null;
        return true;
    }
}

public abstract record AdminRequest(string Id)
{
    public sealed record Status(string Id) : AdminRequest(Id);
    public sealed record Reload(string Id) : AdminRequest(Id);
    public sealed record Deploy(string Id, SeedType? SeedType, string? Sid, bool Force) : AdminRequest(Id);
}
