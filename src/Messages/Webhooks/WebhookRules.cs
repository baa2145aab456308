using System.Collections.Immutable;

namespace Sower.Messages.Webhooks;

/// <summary>
/// Validation of a webhook definition. URLs: absolute http:// or https:// with a host, no user info, no fragment, no
/// whitespace; every other scheme (file, ftp, gopher, unix, data…) is refused. Private and loopback addresses are
/// allowed on purpose: only admins configure webhooks, and an in-house receiver (chat bridge, pager gateway) is the
/// common case. What keeps this from being a request-forgery oracle: redirects are never followed and a receiver's
/// response body is never stored or shown (only its status code).
/// </summary>
public static class WebhookRules
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 1024;
    public const int MaxUrlLength = 2000;

    public static ImmutableArray<string> Validate(string? url, string? secret, IReadOnlyCollection<string>? events, string? format)
    {
        var errors = ImmutableArray.CreateBuilder<string>();
        if (UrlProblem(url) is { } problem) errors.Add("url: " + problem);
        if (secret is null || secret.Length < MinSecretLength || secret.Length > MaxSecretLength)
        {
            errors.Add($"secret: required, {MinSecretLength} to {MaxSecretLength} characters (e.g. openssl rand -hex 32)");
        }
        else if (secret.Any(char.IsControl) || secret.Trim() != secret)
        {
            errors.Add("secret: must not contain control characters or surrounding whitespace");
        }
        if (events is null || events.Count == 0)
        {
            errors.Add("events: at least one of " + string.Join(", ", NotificationKinds.All));
        }
        else
        {
            var unknown = events.Where(e => !NotificationKinds.All.Contains(e)).Distinct().ToList();
            if (unknown.Count > 0) errors.Add($"events: unknown {string.Join(", ", unknown.Select(Shown))}; known: {string.Join(", ", NotificationKinds.All)}");
        }
        if (format is not null && !TryParseFormat(format, out _)) errors.Add("format: must be json or slack");
        return errors.ToImmutable();
    }

    public static string? UrlProblem(string? url)
    {
        if (string.IsNullOrEmpty(url)) return "required, an absolute http:// or https:// URL";
        if (url.Length > MaxUrlLength) return $"at most {MaxUrlLength} characters";
        if (url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return "must not contain whitespace or control characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            // On Unix a bare "/path" parses as an absolute file URI: require the scheme to be written out.
            || !url.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase))
        {
            return "must be an absolute http:// or https:// URL";
        }
        if (uri.Scheme is not ("http" or "https")) return $"scheme {uri.Scheme} is not allowed, only http and https";
        if (string.IsNullOrEmpty(uri.Host)) return "must name a host";
        if (uri.UserInfo.Length > 0) return "must not carry user info (user:password@); the signature authenticates the server";
        if (uri.Fragment.Length > 0) return "must not have a #fragment";
        return null;
    }

    public static bool TryParseFormat(string? wire, out WebhookFormat format)
    {
        switch (wire)
        {
            case null or "json": format = WebhookFormat.Json; return true;
            case "slack": format = WebhookFormat.Slack; return true;
            default: format = WebhookFormat.Json; return false;
        }
    }

    public static string ToWire(this WebhookFormat format) => format == WebhookFormat.Slack ? "slack" : "json";

    /// <summary>Hostile values are shown bounded and without control characters.</summary>
    private static string Shown(string value)
    {
        var clean = new string(value.Select(c => char.IsControl(c) ? '?' : c).Take(60).ToArray());
        return "\"" + clean + (value.Length > 60 ? "…" : "") + "\"";
    }
}
