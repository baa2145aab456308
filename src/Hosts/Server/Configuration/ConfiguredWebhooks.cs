using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NodaTime;
using Sower.Actors.Webhooks;
using Sower.Messages.Webhooks;

namespace Sower.Server.Configuration;

/// <summary>
/// <c>webhooks.hooks</c> in the server config file (README "Notifications (webhooks)"): a declarative list of
/// <c>{name, url, secret_file, events, format}</c>, checked with the API's own rules (<see cref="WebhookRules"/>), every
/// problem reported with its path. The sid is derived from the name, so the same entry is the same webhook after a
/// restart (and its pending deliveries with it); the secret is read from its file and never written anywhere.
/// </summary>
public static partial class ConfiguredWebhooks
{
    public const int MaxHooks = 50;
    private const int MaxSecretFileBytes = 4096;
    private static readonly string[] Keys = ["name", "url", "secret_file", "events", "format"];

    /// <summary>The sid of the config file's webhook named <paramref name="name"/>: <c>whk_c</c> + 23 characters of its hash.</summary>
    public static string SidOf(string name)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("sower-config-webhook:" + name));
        var body = new StringBuilder("c", 24);
        for (var i = 0; body.Length < 24; i++) body.Append(alphabet[hash[i] % alphabet.Length]);
        return Webhook.Prefix + "_" + body;
    }

    /// <summary>Parses the JSON text of <c>webhooks.hooks</c>; <paramref name="resolvePath"/> makes a secret_file absolute,
    /// <paramref name="readSecretFiles"/> is false for <c>--check-config</c> (the secrets exist only where the service runs).</summary>
    public static ImmutableArray<ConfiguredWebhook> Parse(string json, Func<string, string> resolvePath, bool readSecretFiles, Instant now, List<string> problems)
    {
        const string path = "webhooks.hooks";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            problems.Add($"{path}: not valid JSON: {e.Message}");
            return [];
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                problems.Add($"{path}: must be a list of webhooks ({{\"name\", \"url\", \"secret_file\", \"events\", \"format\"}})");
                return [];
            }
            var hooks = ImmutableArray.CreateBuilder<ConfiguredWebhook>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var index = -1;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                index++;
                var at = $"{path}[{index}]";
                if (index >= MaxHooks)
                {
                    problems.Add($"{path}: at most {MaxHooks} webhooks");
                    break;
                }
                if (item.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{at}: must be an object with name, url, secret_file, events and optionally format");
                    continue;
                }
                var before = problems.Count;
                foreach (var property in item.EnumerateObject().Where(p => !Keys.Contains(p.Name)))
                {
                    problems.Add($"{at}.{property.Name}: unknown setting (known: {string.Join(", ", Keys)}; the secret itself never goes in this file)");
                }
                var name = String(item, "name", at, problems);
                if (name is null || !NamePattern().IsMatch(name))
                {
                    problems.Add($"{at}.name: required, 1-63 lower-case letters, digits and '-' (it names the webhook; its sid is derived from it)");
                }
                else if (!names.Add(name))
                {
                    problems.Add($"{at}.name: \"{name}\" is used twice");
                }
                var url = String(item, "url", at, problems);
                var format = String(item, "format", at, problems);
                var events = new List<string>();
                if (item.TryGetProperty("events", out var list))
                {
                    if (list.ValueKind == JsonValueKind.Array && list.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
                    {
                        events.AddRange(list.EnumerateArray().Select(e => e.GetString()!));
                    }
                    else problems.Add($"{at}.events: must be a list of event names");
                }
                var secret = Secret(item, at, resolvePath, readSecretFiles, problems);
                // The API's rules for url, events and format (and the secret's length once it is read).
                foreach (var problem in WebhookRules.Validate(url, secret ?? new string('x', WebhookRules.MinSecretLength), events, format))
                {
                    problems.Add($"{at}.{(problem.StartsWith("secret:", StringComparison.Ordinal) ? "secret_file: the file's " + problem : problem)}");
                }
                if (problems.Count > before) continue;
                WebhookRules.TryParseFormat(format, out var parsedFormat);
                hooks.Add(new ConfiguredWebhook(name!, new Webhook(SidOf(name!), url!, secret ?? "", [.. events.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                    parsedFormat, now)));
            }
            return hooks.ToImmutable();
        }
    }

    private static string? Secret(JsonElement item, string at, Func<string, string> resolvePath, bool readSecretFiles, List<string> problems)
    {
        var file = String(item, "secret_file", at, problems);
        if (string.IsNullOrWhiteSpace(file))
        {
            problems.Add($"{at}.secret_file: required, the path of a file holding the shared secret (e.g. openssl rand -hex 32 > hook.secret)");
            return null;
        }
        if (!readSecretFiles) return null;
        var full = resolvePath(file);
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists)
            {
                problems.Add($"{at}.secret_file: \"{full}\" not found");
                return null;
            }
            if (info.Length > MaxSecretFileBytes)
            {
                problems.Add($"{at}.secret_file: \"{full}\" is larger than {MaxSecretFileBytes} bytes; it should hold only the secret");
                return null;
            }
            // One trailing newline (echo, openssl rand -hex 32 > file) is not part of the secret.
            return File.ReadAllText(full).TrimEnd('\n', '\r');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{at}.secret_file: cannot read \"{full}\": {e.Message}");
            return null;
        }
    }

    private static string? String(JsonElement item, string key, string at, List<string> problems)
    {
        if (!item.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        problems.Add($"{at}.{key}: must be a string");
        return null;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex NamePattern();
}
