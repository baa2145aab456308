using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Sower.Messages.Webhooks;

/// <summary>
/// The bytes and headers of one delivery (README "Notifications (webhooks)"). The JSON body, version 1:
/// <c>{"version":1,"id":key,"event":kind,"at":ISO-8601 UTC,"summary":text,"subject":{name:value}}</c>; the Slack body:
/// <c>{"text":"[sower] summary"}</c>. The signature is HMAC-SHA256 with the webhook's secret over
/// <c>timestamp + "." + body</c>, hex, sent as <c>X-Sower-Signature: v1=&lt;hex&gt;</c> next to
/// <c>X-Sower-Timestamp</c> (Unix seconds); a receiver recomputes it and rejects old timestamps to stop replays.
/// </summary>
public static class WebhookPayload
{
    public const int Version = 1;
    public const string SignatureHeader = "X-Sower-Signature";
    public const string TimestampHeader = "X-Sower-Timestamp";
    public const string EventHeader = "X-Sower-Event";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string UserAgent = "sower-webhooks/1";

    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Body(Notification n, WebhookFormat format)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, Writer))
        {
            json.WriteStartObject();
            if (format == WebhookFormat.Slack)
            {
                json.WriteString("text", "[sower] " + n.Summary);
            }
            else
            {
                json.WriteNumber("version", Version);
                json.WriteString("id", n.Key);
                json.WriteString("event", n.Kind);
                json.WriteString("at", InstantPattern.ExtendedIso.Format(n.At));
                json.WriteString("summary", n.Summary);
                json.WriteStartObject("subject");
                foreach (var (name, value) in n.Subject.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(name, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    public static string Timestamp(Instant at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>v1=</c> + lowercase hex of HMAC-SHA256(secret, timestamp + "." + body).</summary>
    public static string Signature(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>What a receiver does (shown here so tests prove the documented recipe): constant-time compare.</summary>
    public static bool Verify(string secret, string timestamp, ReadOnlySpan<byte> body, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Signature(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}
