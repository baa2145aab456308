using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;

namespace Sower.Messages.GardenDaemon;

public sealed record ConfigLoadResult(GardenConfig? Config, ImmutableArray<ValidationProblem> Problems)
{
    public bool Ok => Problems.IsEmpty && Config is not null;
}

/// <summary>
/// Loads <c>client.json</c> for the garden (REFERENCE §5.1): built-in defaults → file → environment
/// (<c>SOWER_ENDPOINT</c>, <c>SOWER_ACCESS_TOKEN</c>, <c>SOWER_ACCESS_TOKEN_FILE</c>) → <c>*_file</c> resolution → validation.
/// Every problem is collected with its path; nothing throws on bad input.
/// </summary>
public static class GardenConfigLoader
{
    public const string FailurePrefix = "Configuration validation failed";
    private static readonly string[] PathKeys = ["state_directory", "admin_socket", "activator_socket"];

    /// <summary>Every top-level key of the file: the garden's, and <c>caches</c> (the CLI's, which shares the file). Any
    /// other key is a problem, so a typo fails loudly (at build time under NixOS: <c>--check-config</c>).</summary>
    private static readonly string[] KnownKeys =
    [
        "endpoint", "access_token", "name", "state_directory", "admin_socket", "activator_socket", "activator_command",
        "caches", "subscriptions", "parallelism", "log_stream_seconds", "timeouts", "profiles", ConfirmTimeouts.Key,
        "inhibit_file", "inhibit_command", "inhibit_command_timeout_seconds", "inhibit_poll_seconds",
        "labels", MetricsTextfileSetting.Key, "logging",
    ];

    /// <summary>Keys that end in <c>_file</c> but name a file by path rather than hold a secret read from it.</summary>
    private static readonly string[] PlainFileKeys = ["inhibit_file"];
    private static readonly string[] ProfileKeys =
        ["system_profile", "current_system", "booted_system", "per_user_profiles", "home", "sower_profiles", "services_state"];

    public static string FormatFailure(IEnumerable<ValidationProblem> problems) =>
        FailurePrefix + ": " + string.Join("; ", problems.Select(p => p.ToString()));

    /// <param name="readSecretFiles">False for <c>--check-config</c>: <c>*_file</c> paths are expanded but not read (they
    /// exist only where and when the garden runs), and a value they would supply is not required.</param>
    public static ConfigLoadResult Load(string path, ConfigEnvironment env, bool hasStoredCredential, bool readSecretFiles = true)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        var root = ReadFile(path, problems);
        foreach (var key in root.Select(kv => kv.Key))
        {
            var plain = key.EndsWith("_file", StringComparison.Ordinal) && !PlainFileKeys.Contains(key) ? key[..^"_file".Length] : key;
            if (!KnownKeys.Contains(plain, StringComparer.Ordinal))
                problems.Add(new(key, $"unknown setting (known: {string.Join(", ", KnownKeys)}, and X_file for a file holding X)"));
        }

        // Environment overrides the file.
        Override(root, "endpoint", env.Variable("SOWER_ENDPOINT"));
        Override(root, "access_token", env.Variable("SOWER_ACCESS_TOKEN"));
        Override(root, "access_token_file", env.Variable("SOWER_ACCESS_TOKEN_FILE"));

        var unread = ResolveFileKeys(root, env, readSecretFiles, problems);

        var endpoint = OptionalString(root, "endpoint", problems);
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            if (!unread.Contains("endpoint"))
                problems.Add(new("endpoint", $"is required (set it in {path} or SOWER_ENDPOINT)"));
        }
        else if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            problems.Add(new("endpoint", $"must be an http:// or https:// URL, got \"{endpoint}\""));
        }

        var token = OptionalString(root, "access_token", problems);
        if (string.IsNullOrEmpty(token)) token = null;
        if (token is null && !hasStoredCredential)
        {
            problems.Add(new("access_token", "no enrollment token and no stored garden credential: set access_token, access_token_file, SOWER_ACCESS_TOKEN or SOWER_ACCESS_TOKEN_FILE"));
        }

        var defaultName = DefaultName(env);
        var name = OptionalString(root, "name", problems);
        if (string.IsNullOrWhiteSpace(name)) name = defaultName;

        var paths = new Dictionary<string, string>();
        foreach (var key in PathKeys)
        {
            var value = OptionalString(root, key, problems);
            if (string.IsNullOrEmpty(value)) { paths[key] = DefaultPath(key, env); continue; }
            if (TryExpandPath(key, value, env, out var expanded, out var error)) paths[key] = expanded;
            else problems.Add(new(key, error!));
        }

        var confirmTimeouts = ConfirmTimeouts.Read(root["subscriptions"], problems);
        var confirmDefault = ConfirmTimeouts.ReadDefault(root[ConfirmTimeouts.Key], problems);
        var subscriptions = ParseSubscriptions(ConfirmTimeouts.Without(root["subscriptions"]), defaultName, env.HostTimeZone, problems);
        var labels = ParseLabels(root["labels"], problems);
        var logging = LoggingLevels.Parse(root["logging"], "logging", problems);
        var timeouts = ParseTimeouts(root["timeouts"], problems);
        var profiles = ParseProfiles(root["profiles"], env, problems);
        var parallelism = 3;
        if (root["parallelism"] is { } parallelNode)
        {
            if (parallelNode is JsonValue pv && pv.TryGetValue<int>(out var p) && p is >= 1 and <= 16) parallelism = p;
            else problems.Add(new("parallelism", $"expected an integer from 1 to 16, got {parallelNode.ToJsonString()}"));
        }
        TimeSpan? logStream = null;
        if (root["log_stream_seconds"] is { } streamNode)
        {
            if (streamNode is JsonValue sv && sv.TryGetValue<double>(out var seconds) && seconds > 0 && seconds <= 3600) logStream = TimeSpan.FromSeconds(seconds);
            else problems.Add(new("log_stream_seconds", $"expected a positive number of seconds, got {streamNode.ToJsonString()}"));
        }
        var inhibit = InhibitSettings.Parse(root, env, problems);
        var metricsTextfile = MetricsTextfileSetting.Parse(root, env, readSecretFiles, problems);
        var activatorCommand = OptionalString(root, "activator_command", problems);
        if (string.IsNullOrWhiteSpace(activatorCommand)) activatorCommand = "sower-activator";

        if (problems.Count > 0) return new ConfigLoadResult(null, problems.ToImmutable());
        return new ConfigLoadResult(new GardenConfig(
            path, endpoint!, token, name!, defaultName,
            paths["state_directory"], paths["admin_socket"], paths["activator_socket"], activatorCommand,
            subscriptions, profiles, timeouts, parallelism, env.UserName, logStream, inhibit, confirmTimeouts, confirmDefault)
        { Labels = labels, MetricsTextfile = metricsTextfile, Logging = logging }, []);
    }

    /// <summary><c>labels</c>: an object of string values, validated like Kubernetes labels (GardenLabels), all problems at once.</summary>
    private static ImmutableDictionary<string, string> ParseLabels(JsonNode? node, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (node is null) return GardenLabels.None;
        if (node is not JsonObject map)
        {
            problems.Add(new("labels", $"expected an object of label keys and string values (for example {{\"role\": \"web\"}}), got {node.ToJsonString()}"));
            return GardenLabels.None;
        }
        var pairs = new List<KeyValuePair<string, string?>>();
        foreach (var (key, value) in map)
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var text)) pairs.Add(KeyValuePair.Create(key, (string?)text));
            else pairs.Add(KeyValuePair.Create(key, (string?)null));
        }
        var parsed = GardenLabels.Validate(pairs);
        problems.AddRange(parsed.Problems);
        return parsed.Value ?? GardenLabels.None;
    }

    /// <summary><c>&lt;USER&gt;@&lt;hostname&gt;</c>, or the host name alone when USER is empty or <c>sower-garden</c>.</summary>
    public static string DefaultName(ConfigEnvironment env) =>
        string.IsNullOrEmpty(env.UserName) || env.UserName == "sower-garden" ? env.HostName : $"{env.UserName}@{env.HostName}";

    public static string DefaultPath(string key, ConfigEnvironment env)
    {
        switch (key)
        {
            case "state_directory":
                if (env.IsRoot) return "/var/lib/sower-garden";
                var stateDirectory = env.Variable("STATE_DIRECTORY");
                if (!string.IsNullOrEmpty(stateDirectory)) return stateDirectory.Split(':')[0];
                var xdgState = env.Variable("XDG_STATE_HOME");
                if (!string.IsNullOrEmpty(xdgState)) return Path.Combine(xdgState, "sower-garden");
                return Path.Combine(env.Home ?? "/", ".local", "state", "sower-garden");
            case "admin_socket":
                var runtime = env.Variable("XDG_RUNTIME_DIR");
                return !env.IsRoot && !string.IsNullOrEmpty(runtime)
                    ? Path.Combine(runtime, "sower-garden", "admin.sock")
                    : "/run/sower-garden/admin.sock";
            case "activator_socket":
                return "/run/sower-activator/activator.sock";
            default:
                throw new ArgumentOutOfRangeException(nameof(key), key, "no default path");
        }
    }

    /// <summary>
    /// Expands a leading <c>~</c> or <c>~/</c> to the home directory and <c>$VAR</c> / <c>${VAR}</c> from the environment.
    /// A variable that is not set gives <c>Invalid path for &lt;key&gt;: missing environment variable &lt;VAR&gt;</c>.
    /// </summary>
    public static bool TryExpandPath(string key, string value, ConfigEnvironment env, out string expanded, out string? error)
    {
        expanded = value;
        error = null;
        var text = value;
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal))
        {
            if (string.IsNullOrEmpty(env.Home)) { error = $"Invalid path for {key}: missing environment variable HOME"; return false; }
            text = env.Home.TrimEnd('/') + text[1..];
            if (text.Length == 0) text = "/";
        }
        var result = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$') { result.Append(text[i]); continue; }
            string name;
            if (i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0) { result.Append(text[i..]); break; }
                name = text[(i + 2)..close];
                i = close;
            }
            else
            {
                var end = i + 1;
                while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_')) end++;
                if (end == i + 1) { result.Append('$'); continue; }
                name = text[(i + 1)..end];
                i = end - 1;
            }
            var variable = env.Variable(name);
            if (variable is null) { error = $"Invalid path for {key}: missing environment variable {name}"; return false; }
            result.Append(variable);
        }
        expanded = result.ToString();
        return true;
    }

    private static JsonObject ReadFile(string path, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (!File.Exists(path)) return new JsonObject();
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new(path, $"cannot read the configuration file: {e.Message}"));
            return new JsonObject();
        }
        if (string.IsNullOrWhiteSpace(text)) return new JsonObject();
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (node is JsonObject o) return o;
            problems.Add(new(path, "the configuration must be a JSON object"));
        }
        catch (JsonException e)
        {
            problems.Add(new(path, $"invalid JSON: {e.Message}"));
        }
        return new JsonObject();
    }

    private static void Override(JsonObject root, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value)) root[key] = value;
    }

    /// <summary>Any key <c>X_file</c> becomes X = the trimmed file contents, unless X is already set (then the file is not read).
    /// Returns the keys whose file was left unread (<paramref name="read"/> false).</summary>
    private static HashSet<string> ResolveFileKeys(JsonObject root, ConfigEnvironment env, bool read, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var unread = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fileKey in root.Select(kv => kv.Key).Where(k => k.EndsWith("_file", StringComparison.Ordinal) && !PlainFileKeys.Contains(k)).ToList())
        {
            var key = fileKey[..^"_file".Length];
            if (root[key] is JsonValue existing && existing.TryGetValue<string>(out var set) && !string.IsNullOrEmpty(set)) continue;
            var value = OptionalString(root, fileKey, problems);
            if (string.IsNullOrEmpty(value)) continue;
            if (!TryExpandPath(fileKey, value, env, out var filePath, out var error)) { problems.Add(new(fileKey, error!)); continue; }
            if (!read) { unread.Add(key); continue; }
            try { root[key] = File.ReadAllText(filePath).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new(fileKey, $"cannot read {filePath}: {e.Message}"));
            }
        }
        return unread;
    }

    private static string? OptionalString(JsonObject root, string key, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var node = root[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        problems.Add(new(key, $"expected a string, got {node.ToJsonString()}"));
        return null;
    }

    private static ImmutableArray<SubscriptionSpec> ParseSubscriptions(JsonNode? node, string defaultName, string hostZone, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (node is null) return [];
        if (node is not JsonObject map)
        {
            problems.Add(new("subscriptions", "expected an object keyed by subscription name"));
            return [];
        }
        var result = ImmutableArray.CreateBuilder<SubscriptionSpec>();
        foreach (var (name, value) in map)
        {
            var prefix = $"subscriptions.{name}";
            if (string.IsNullOrWhiteSpace(name)) { problems.Add(new(prefix, "a subscription name must not be empty")); continue; }
            var parsed = SubscriptionJson.Parse(name, value, prefix, defaultName);
            problems.AddRange(parsed.Problems);
            if (parsed.Ok && parsed.Value is { } spec)
            {
                // Fill in the host zone for every subscription without one; never overwrite a configured zone (pitfall 32).
                result.Add(spec.Timezone is null ? spec with { Timezone = hostZone } : spec);
            }
        }
        return result.ToImmutable();
    }

    private static GardenTimeouts ParseTimeouts(JsonNode? node, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var d = GardenTimeouts.Default;
        if (node is null) return d;
        if (node is not JsonObject o) { problems.Add(new("timeouts", "expected an object of seconds")); return d; }
        TimeSpan Seconds(string key, TimeSpan fallback)
        {
            var value = o[key];
            if (value is null) return fallback;
            if (value is JsonValue v && v.TryGetValue<double>(out var s) && s > 0 && s <= 7 * 24 * 3600) return TimeSpan.FromSeconds(s);
            problems.Add(new($"timeouts.{key}", $"expected a positive number of seconds, got {value.ToJsonString()}"));
            return fallback;
        }
        foreach (var key in o.Select(kv => kv.Key))
        {
            if (key is not ("activator_connect" or "realise" or "activation" or "server_reply" or "admin_receive" or "drain" or "reconcile" or "journal_recovery" or "enrollment_poll"))
                problems.Add(new($"timeouts.{key}", "unknown timeout (known: activator_connect, realise, activation, server_reply, admin_receive, drain, reconcile, journal_recovery, enrollment_poll)"));
        }
        return new GardenTimeouts(
            Seconds("activator_connect", d.ActivatorConnect), Seconds("realise", d.Realise), Seconds("activation", d.Activation),
            Seconds("server_reply", d.ServerReply), Seconds("admin_receive", d.AdminReceive),
            o["drain"] is null ? null : Seconds("drain", TimeSpan.FromSeconds(60)),
            o["reconcile"] is null ? null : Seconds("reconcile", d.EffectiveReconcile),
            o["journal_recovery"] is null ? null : Seconds("journal_recovery", d.EffectiveJournalRecovery),
            o["enrollment_poll"] is null ? null : Seconds("enrollment_poll", d.EffectiveEnrollmentPoll));
    }

    private static ProfileRoots ParseProfiles(JsonNode? node, ConfigEnvironment env, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var d = ProfileRoots.Default;
        if (node is null) return d;
        if (node is not JsonObject o) { problems.Add(new("profiles", "expected an object")); return d; }
        foreach (var key in o.Select(kv => kv.Key).Where(k => !ProfileKeys.Contains(k, StringComparer.Ordinal)))
            problems.Add(new($"profiles.{key}", $"unknown setting (known: {string.Join(", ", ProfileKeys)})"));
        string? Get(string key, string? fallback)
        {
            var value = o[key];
            if (value is null) return fallback;
            if (value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
            {
                if (TryExpandPath($"profiles.{key}", s, env, out var expanded, out var error)) return expanded;
                problems.Add(new($"profiles.{key}", error!));
                return fallback;
            }
            problems.Add(new($"profiles.{key}", $"expected a path, got {value.ToJsonString()}"));
            return fallback;
        }
        return new ProfileRoots(
            Get("system_profile", d.SystemProfile)!, Get("current_system", d.CurrentSystem)!, Get("booted_system", d.BootedSystem)!,
            Get("per_user_profiles", d.PerUserProfiles)!, Get("home", d.HomeOverride), Get("sower_profiles", d.SowerProfiles),
            Get("services_state", d.ServicesState));
    }
}
