using System.Collections.Immutable;
using System.Text.Json;
using Sower.Messages.Gateway;

namespace Sower.Server.Gateway;

/// <summary>Reads a hub argument into its wire record; any JSON error becomes an `invalid_payload` reply instead of an exception.</summary>
public static class GatewayPayloads
{
    public static bool TryRead<T>(JsonElement payload, out T value, out GatewayReply? error) where T : class
    {
        value = null!;
        error = null;
        if (payload.ValueKind != JsonValueKind.Object)
        {
            error = Invalid("payload", "expected a JSON object");
            return false;
        }
        try
        {
            var parsed = payload.Deserialize<T>(GatewayProtocol.Json);
            if (parsed is null)
            {
                error = Invalid("payload", "expected a JSON object");
                return false;
            }
            value = parsed;
            return true;
        }
        catch (JsonException e)
        {
            error = Invalid(string.IsNullOrEmpty(e.Path) ? "payload" : e.Path.TrimStart('$', '.'), "wrong type: " + FirstLine(e.Message));
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException or FormatException)
        {
            error = Invalid("payload", FirstLine(e.Message));
            return false;
        }
    }

    public static GatewayReply Invalid(string path, string message) =>
        GatewayReply.Failure(GatewayErrors.InvalidPayload, $"{path}: {message}", [new GatewayFieldError(path, message)]);

    public static GatewayReply Invalid(IEnumerable<GatewayFieldError> errors)
    {
        var list = errors.ToImmutableArray();
        return GatewayReply.Failure(GatewayErrors.InvalidPayload, string.Join("; ", list.Select(e => $"{e.Path}: {e.Message}")), list);
    }

    private static string FirstLine(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
