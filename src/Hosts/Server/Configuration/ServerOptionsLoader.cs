using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Sower.Actors.Hosting;
using Sower.Messages.Domain;

namespace Sower.Server.Configuration;

/// <summary>Loads <see cref="ServerOptions"/>: defaults, then the JSON file (<c>--config</c> or
/// <c>SOWER_SERVER_CONFIG_FILE</c>; snake_case keys), then environment variables, then flags. Every problem is
/// reported with its path; nothing throws on bad input.</summary>
/// <remarks>Environment: <c>SOWER_</c> + the key upper-cased, sections joined by <c>__</c>
/// (<c>SOWER_DATA_DIR</c>, <c>SOWER_DATABASE__PROVIDER</c>, <c>SOWER_CLUSTER__SEED_NODES</c>); lists are comma
/// separated or indexed (<c>SOWER_CLUSTER__SEED_NODES__0</c>). Flags: <c>--config</c>, <c>--data-dir</c>,
/// <c>--urls</c>, <c>--public-url</c>, <c>--log-level</c> (<c>--flag value</c> or <c>--flag=value</c>).</remarks>
public static class ServerOptionsLoader
{
    public const string ConfigFileVariable = "SOWER_SERVER_CONFIG_FILE";
    public const string EnvironmentPrefix = "SOWER_";

    private static readonly string[] ScalarKeys =
    [
        "public_url", "data_dir", "database.provider", "database.connection_string", "database.connection_string_file",
        "cluster.hostname", "cluster.port", "cluster.public_hostname",
        "cluster.split_brain_resolver", "cluster.heartbeat_pause_seconds", "cluster.stable_after_seconds", "cluster.join_timeout_seconds",
        "auth.oidc_authority", "auth.oidc_client_id", "auth.oidc_client_secret_file",
        "stale_after_seconds", "stale_check_interval_seconds", "approval_expiry_seconds", "max_token_lifetime_days", "enrollment_expiry_seconds", "log_level",
        "logging.level",
        "webhooks.first_retry_seconds", "webhooks.max_attempts", "webhooks.timeout_seconds",
        "reboot_lock.default_max_concurrent_reboots", "reboot_lock.lease_ttl_seconds",
    ];
    private static readonly string[] ListKeys = ["urls", "cluster.seed_nodes", "cluster.roles", "auth.oidc_scopes"];
    /// <summary>Settings whose value is a JSON object, kept as its JSON text (in the environment: the JSON text).</summary>
    private static readonly string[] ObjectKeys = ["auth.oidc_role_mapping", "logging.levels"];
    /// <summary>Settings whose value is a JSON list of objects, kept as its JSON text (in the environment: the JSON text).</summary>
    private static readonly string[] ObjectListKeys = ["webhooks.hooks"];
    private static readonly string[] Sections = ["database", "cluster", "auth", "webhooks", "reboot_lock", "logging"];
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { ["listen"] = "urls" };

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = "data_dir",
        ["--urls"] = "urls",
        ["--public-url"] = "public_url",
        ["--log-level"] = "log_level",
    };

    private static readonly string[] LogLevels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];

    /// <summary>The current process environment as a dictionary (what the host passes to <see cref="Load"/>).</summary>
    public static IDictionary<string, string?> ProcessEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) env[(string)entry.Key] = entry.Value as string;
        return env;
    }

    /// <summary><see cref="Load"/>, then creates the data directory (mode 0700) if it is missing.</summary>
    public static ServerOptionsResult LoadAndPrepare(string[] args, IDictionary<string, string?> env)
    {
        var result = Load(args, env);
        if (!result.IsValid) return result;
        var dataDir = result.Options!.DataDir;
        try
        {
            if (!Directory.Exists(dataDir))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dataDir);
                else Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return result with { Options = null, Problems = [$"data_dir: cannot create \"{dataDir}\": {e.Message}"] };
        }
        return result;
    }

    /// <summary><c>--check-config FILE</c>: the file alone, through the same loader as a start (no environment, no
    /// flags). Secret files named by <c>*_file</c> keys are not read: they exist only where and when the service runs
    /// (systemd credentials), not in the Nix build that checks the file.</summary>
    public static ServerOptionsResult Check(string file) =>
        Load(["--config", file], new Dictionary<string, string?>(StringComparer.Ordinal), readSecretFiles: false);

    public static ServerOptionsResult Load(string[] args, IDictionary<string, string?> env, bool readSecretFiles = true)
    {
        var problems = new List<string>();
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);

        var flags = ParseFlags(args, problems, out var configFlag);
        var configFile = configFlag ?? (env.TryGetValue(ConfigFileVariable, out var fromEnv) && !string.IsNullOrWhiteSpace(fromEnv) ? fromEnv : null);
        string? configPath = null;
        if (configFile is not null)
        {
            configPath = Path.GetFullPath(configFile);
            ReadJsonFile(configPath, values, problems);
        }
        ReadEnvironment(env, values);
        foreach (var (key, value) in flags) values[key] = value;

        var options = Bind(values, configPath, readSecretFiles, problems);
        return problems.Count == 0 ? new ServerOptionsResult(options, []) : new ServerOptionsResult(null, [.. problems]);
    }

    // ─── Sources ───

    private sealed record Value(string? Scalar, ImmutableArray<string>? List, bool FromFile = false)
    {
        public static Value Of(string s) => new(s, null);
        public ImmutableArray<string> AsList() =>
            List ?? [.. (Scalar ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private static List<(string Key, Value Value)> ParseFlags(string[] args, List<string> problems, out string? configFile)
    {
        configFile = null;
        var result = new List<(string, Value)>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            var isConfig = name == "--config";
            if (!isConfig && !Flags.ContainsKey(name))
            {
                problems.Add($"arguments: unknown argument \"{arg}\" (known: --config, {string.Join(", ", Flags.Keys)})");
                continue;
            }
            string value;
            if (eq > 0) value = arg[(eq + 1)..];
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) value = args[++i];
            else
            {
                problems.Add($"arguments: {name} needs a value");
                continue;
            }
            if (isConfig) configFile = value;
            else result.Add((Flags[name], Value.Of(value)));
        }
        return result;
    }

    private static void ReadJsonFile(string path, Dictionary<string, Value> values, List<string> problems)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problems.Add($"config: file \"{path}\" not found");
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"config: cannot read \"{path}\": {e.Message}");
            return;
        }
        catch (JsonException e)
        {
            problems.Add($"config: \"{path}\" is not valid JSON: {e.Message}");
            return;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"config: \"{path}\" must contain a JSON object");
                return;
            }
            ReadObject(document.RootElement, "", values, problems);
        }
    }

    private static void ReadObject(JsonElement obj, string prefix, Dictionary<string, Value> values, List<string> problems)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var name = prefix.Length == 0 && Aliases.TryGetValue(property.Name, out var alias) ? alias : property.Name;
            var path = prefix + name;
            var value = property.Value;
            if (prefix.Length == 0 && Sections.Contains(name))
            {
                if (value.ValueKind == JsonValueKind.Object) ReadObject(value, path + ".", values, problems);
                else if (value.ValueKind != JsonValueKind.Null) problems.Add($"{path}: must be an object");
                continue;
            }
            if (ObjectKeys.Contains(path))
            {
                if (value.ValueKind == JsonValueKind.Object) values[path] = new Value(value.GetRawText(), null, true);
                else if (value.ValueKind != JsonValueKind.Null) problems.Add($"{path}: must be an object");
                continue;
            }
            if (ObjectListKeys.Contains(path))
            {
                if (value.ValueKind == JsonValueKind.Array) values[path] = new Value(value.GetRawText(), null, true);
                else if (value.ValueKind != JsonValueKind.Null) problems.Add($"{path}: must be a list of objects");
                continue;
            }
            if (ListKeys.Contains(path))
            {
                switch (value.ValueKind)
                {
                    case JsonValueKind.Array:
                        var items = new List<string>();
                        var index = 0;
                        foreach (var item in value.EnumerateArray())
                        {
                            if (item.ValueKind == JsonValueKind.String) items.Add(item.GetString()!);
                            else problems.Add($"{path}[{index}]: must be a string");
                            index++;
                        }
                        values[path] = new Value(null, [.. items], true);
                        break;
                    case JsonValueKind.String:
                        values[path] = new Value(value.GetString()!, null, true);
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        problems.Add($"{path}: must be a list of strings");
                        break;
                }
                continue;
            }
            if (ScalarKeys.Contains(path))
            {
                switch (value.ValueKind)
                {
                    case JsonValueKind.String: values[path] = new Value(value.GetString()!, null, true); break;
                    case JsonValueKind.Number: values[path] = new Value(value.GetRawText(), null, true); break;
                    case JsonValueKind.Null: break;
                    default: problems.Add($"{path}: must be a string or a number"); break;
                }
                continue;
            }
            problems.Add($"{path}: unknown setting");
        }
    }

    private static void ReadEnvironment(IDictionary<string, string?> env, Dictionary<string, Value> values)
    {
        var indexed = new SortedDictionary<(string Key, int Index), string>();
        foreach (var (name, raw) in env.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (raw is null || !name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) || name == ConfigFileVariable) continue;
            var path = name[EnvironmentPrefix.Length..].ToLowerInvariant().Replace("__", ".", StringComparison.Ordinal);
            if (Aliases.TryGetValue(path, out var alias)) path = alias;
            if (ScalarKeys.Contains(path) || ListKeys.Contains(path) || ObjectKeys.Contains(path) || ObjectListKeys.Contains(path))
            {
                values[path] = Value.Of(raw);
                continue;
            }
            // Indexed list entries: SOWER_CLUSTER__SEED_NODES__0
            var dot = path.LastIndexOf('.');
            if (dot > 0 && ListKeys.Contains(path[..dot]) && int.TryParse(path[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                indexed[(path[..dot], i)] = raw;
            // Anything else under SOWER_ belongs to other tools (garden, CLI, tests) and is ignored.
        }
        foreach (var group in indexed.GroupBy(kv => kv.Key.Key))
            values[group.Key] = new Value(null, [.. group.Select(kv => kv.Value)]);
    }

    // ─── Binding and validation ───

    private static ServerOptions Bind(Dictionary<string, Value> values, string? configPath, bool readSecretFiles, List<string> problems)
    {
        string? Scalar(string key) => values.TryGetValue(key, out var v) ? (v.Scalar ?? string.Join(",", v.List!.Value)).Trim() : null;
        ImmutableArray<string>? List(string key) => values.TryGetValue(key, out var v) ? v.AsList() : null;

        int PositiveInt(string key, int fallback)
        {
            var raw = Scalar(key);
            if (raw is null) return fallback;
            if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
            problems.Add($"{key}: must be a positive integer");
            return fallback;
        }

        // Relative paths in the file are relative to the file; elsewhere to the working directory.
        var baseDir = configPath is not null ? Path.GetDirectoryName(configPath)! : Directory.GetCurrentDirectory();
        string ResolvePath(string key, string raw) =>
            values.TryGetValue(key, out var v) && v.FromFile ? Path.GetFullPath(raw, baseDir) : Path.GetFullPath(raw);

        var dataDirRaw = Scalar("data_dir");
        var dataDir = Path.GetFullPath(ServerOptions.DefaultDataDir);
        if (dataDirRaw is not null)
        {
            if (dataDirRaw.Length == 0) problems.Add("data_dir: must not be empty");
            else dataDir = ResolvePath("data_dir", dataDirRaw);
        }

        var urls = List("urls") ?? [ServerOptions.DefaultUrl];
        if (urls.Length == 0) problems.Add("urls: at least one address is required");
        for (var i = 0; i < urls.Length; i++)
        {
            if (!IsHttpUrl(urls[i], allowWildcardHost: true))
                problems.Add($"urls[{i}]: \"{urls[i]}\" must be an absolute http:// or https:// address (e.g. {ServerOptions.DefaultUrl})");
        }

        var publicUrl = Scalar("public_url");
        if (publicUrl is { Length: 0 }) publicUrl = null;
        if (publicUrl is not null && !IsHttpUrl(publicUrl, allowWildcardHost: false))
            problems.Add($"public_url: \"{publicUrl}\" must be an absolute http:// or https:// URL");

        var database = BindDatabase(Scalar("database.provider"), Scalar("database.connection_string"), Scalar("database.connection_string_file"),
            raw => ResolvePath("database.connection_string_file", raw), readSecretFiles, problems);

        var cluster = BindCluster(Scalar("cluster.hostname"), Scalar("cluster.port"), Scalar("cluster.public_hostname"),
            List("cluster.seed_nodes") ?? [], List("cluster.roles") ?? [], problems);
        cluster = BindClusterResilience(cluster, database.Provider, Scalar("cluster.split_brain_resolver"),
            PositiveInt("cluster.heartbeat_pause_seconds", cluster.HeartbeatPauseSeconds),
            PositiveInt("cluster.stable_after_seconds", cluster.StableAfterSeconds),
            PositiveInt("cluster.join_timeout_seconds", cluster.JoinTimeoutSeconds), problems);

        var matchedLevel = BindLogLevel(values, Scalar("log_level"), Scalar("logging.level"), problems);
        var logAreas = LoggingLevels.Information.Areas;
        if (values.TryGetValue("logging.levels", out var areasJson) && areasJson.Scalar is { } areasText)
        {
            var areaProblems = new List<ValidationProblem>();
            logAreas = LoggingLevels.ParseAreas(areasText, "logging.levels", areaProblems);
            problems.AddRange(areaProblems.Select(p => p.ToString()));
        }

        var secretFile = Scalar("auth.oidc_client_secret_file");
        var auth = OidcSettingsBinder.Bind(Scalar("auth.oidc_authority"), Scalar("auth.oidc_client_id"),
            secretFile is { Length: > 0 } ? ResolvePath("auth.oidc_client_secret_file", secretFile) : null,
            List("auth.oidc_scopes"), values.TryGetValue("auth.oidc_role_mapping", out var mapping) ? mapping.Scalar : null, readSecretFiles, problems);
        return new ServerOptions
        {
            DataDir = dataDir,
            Urls = [.. urls],
            PublicUrl = publicUrl,
            Database = database,
            Cluster = cluster,
            Auth = auth,
            StaleAfterSeconds = PositiveInt("stale_after_seconds", 7200),
            StaleCheckIntervalSeconds = PositiveInt("stale_check_interval_seconds", 60),
            ApprovalExpirySeconds = PositiveInt("approval_expiry_seconds", 86400),
            MaxTokenLifetimeDays = PositiveInt("max_token_lifetime_days", Sower.Messages.Tokens.AccessTokenLimits.DefaultMaxLifetimeDays),
            EnrollmentExpirySeconds = PositiveInt("enrollment_expiry_seconds", 86400),
            Webhooks = new WebhookOptions
            {
                FirstRetrySeconds = PositiveInt("webhooks.first_retry_seconds", 30),
                MaxAttempts = PositiveInt("webhooks.max_attempts", 15),
                TimeoutSeconds = PositiveInt("webhooks.timeout_seconds", 10),
                Hooks = Scalar("webhooks.hooks") is { } hooks
                    ? ConfiguredWebhooks.Parse(hooks, raw => ResolvePath("webhooks.hooks", raw), readSecretFiles, NodaTime.SystemClock.Instance.GetCurrentInstant(), problems)
                    : [],
            },
            RebootLockDefaultMaxConcurrentReboots = PositiveInt("reboot_lock.default_max_concurrent_reboots", 1),
            RebootLockLeaseTtlSeconds = PositiveInt("reboot_lock.lease_ttl_seconds", 1800),
            LogLevel = matchedLevel ?? "Information",
            LogAreas = logAreas,
            ConfigFile = configPath,
        };
    }

    /// <summary>The default level: <c>log_level</c> (file, <c>SOWER_LOG_LEVEL</c>, <c>--log-level</c>) or <c>logging.level</c>
    /// (file, <c>SOWER_LOGGING__LEVEL</c>); the environment and the flag override the file, a file may say it only once.</summary>
    private static string? BindLogLevel(Dictionary<string, Value> values, string? logLevel, string? loggingLevel, List<string> problems)
    {
        var oldFromFile = values.TryGetValue("log_level", out var o) && o.FromFile;
        var newFromFile = values.TryGetValue("logging.level", out var n) && n.FromFile;
        if (logLevel is not null && loggingLevel is not null && oldFromFile && newFromFile)
        {
            problems.Add("logging.level: set either log_level or logging.level, not both");
            return null;
        }
        // What was given outside the file wins over the file; log_level is checked with its historical message.
        var useNew = loggingLevel is not null && (logLevel is null || (oldFromFile && !newFromFile));
        if (!useNew)
        {
            if (logLevel is null) return "Information";
            var matched = LogLevels.FirstOrDefault(l => string.Equals(l, logLevel, StringComparison.OrdinalIgnoreCase)) ?? LoggingLevels.Canonical(logLevel);
            if (matched is null) problems.Add($"log_level: must be one of {string.Join(", ", LogLevels)}");
            return matched;
        }
        var canonical = LoggingLevels.Canonical(loggingLevel);
        if (canonical is null) problems.Add($"logging.level: must be one of {LoggingLevels.Allowed}, got \"{loggingLevel}\"");
        return canonical;
    }

    private static DatabaseOptions BindDatabase(string? providerRaw, string? connectionString, string? connectionStringFile,
        Func<string, string> resolvePath, bool readSecretFiles, List<string> problems)
    {
        var provider = DatabaseProvider.Sqlite;
        switch (providerRaw?.ToLowerInvariant())
        {
            case null or "" or "sqlite": break;
            case "postgresql" or "postgres": provider = DatabaseProvider.PostgreSql; break;
            default: problems.Add($"database.provider: must be \"sqlite\" or \"postgresql\", got \"{providerRaw}\""); break;
        }
        if (connectionString is { Length: 0 }) connectionString = null;
        string? file = connectionStringFile is { Length: > 0 } ? resolvePath(connectionStringFile) : null;
        if (connectionString is not null && file is not null)
        {
            problems.Add("database.connection_string_file: set either database.connection_string or database.connection_string_file, not both");
        }
        else if (file is not null && readSecretFiles)
        {
            try
            {
                connectionString = File.ReadAllText(file).Trim();
                if (connectionString.Length == 0) problems.Add($"database.connection_string_file: \"{file}\" is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"database.connection_string_file: cannot read \"{file}\": {e.Message}");
            }
        }
        if (provider == DatabaseProvider.PostgreSql && connectionString is null && file is null)
            problems.Add("database.connection_string: required when database.provider is postgresql");
        return new DatabaseOptions { Provider = provider, ConnectionString = connectionString, ConnectionStringFile = file };
    }

    private static ClusterSettings BindCluster(string? hostname, string? portRaw, string? publicHostname,
        ImmutableArray<string> seedNodes, ImmutableArray<string> roles, List<string> problems)
    {
        var port = 0;
        if (portRaw is not null && !(int.TryParse(portRaw, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535))
        {
            problems.Add("cluster.port: must be an integer from 0 to 65535");
            port = 0;
        }
        if (hostname is { Length: 0 }) problems.Add("cluster.hostname: must not be empty");
        if (hostname is "0.0.0.0" or "::" or "[::]" && string.IsNullOrWhiteSpace(publicHostname))
            problems.Add("cluster.public_hostname: required when cluster.hostname binds every interface (other nodes need an address to reach this one)");
        for (var i = 0; i < seedNodes.Length; i++)
        {
            if (!IsSeedNode(seedNodes[i]))
                problems.Add($"cluster.seed_nodes[{i}]: \"{seedNodes[i]}\" must look like akka.tcp://{ClusterSettings.ActorSystemName}@host:port");
        }
        for (var i = 0; i < roles.Length; i++)
        {
            if (roles[i].Length == 0 || roles[i].Any(char.IsWhiteSpace)) problems.Add($"cluster.roles[{i}]: must be a non-empty word");
        }
        return new ClusterSettings
        {
            Hostname = hostname is { Length: > 0 } ? hostname : "127.0.0.1",
            Port = port,
            PublicHostname = publicHostname is { Length: > 0 } ? publicHostname : null,
            SeedNodes = [.. seedNodes],
            Roles = [.. roles],
        };
    }

    /// <summary>The split brain resolver and the failure-detector margins (README "High availability").</summary>
    private static ClusterSettings BindClusterResilience(ClusterSettings cluster, DatabaseProvider provider, string? strategyRaw,
        int heartbeatPause, int stableAfter, int joinTimeout, List<string> problems)
    {
        SplitBrainStrategy? strategy = null;
        if (strategyRaw is not null)
        {
            strategy = SplitBrainResolverHostingExtensions.Parse(strategyRaw);
            if (strategy is null)
                problems.Add($"cluster.split_brain_resolver: must be \"lease-majority\", \"keep-majority\" or \"keep-oldest\", got \"{strategyRaw}\"");
            else if (strategy == SplitBrainStrategy.LeaseMajority && provider != DatabaseProvider.PostgreSql)
                problems.Add("cluster.split_brain_resolver: lease-majority keeps its lease in the shared database and needs database.provider postgresql");
        }
        if (heartbeatPause is < 3 or > 120) problems.Add("cluster.heartbeat_pause_seconds: must be from 3 to 120");
        if (stableAfter is < 2 or > 120) problems.Add("cluster.stable_after_seconds: must be from 2 to 120");
        if (joinTimeout is < 10 or > 3600) problems.Add("cluster.join_timeout_seconds: must be from 10 to 3600");
        return cluster with
        {
            SplitBrainResolver = strategy,
            HeartbeatPauseSeconds = heartbeatPause,
            StableAfterSeconds = stableAfter,
            JoinTimeoutSeconds = joinTimeout,
        };
    }

    private static bool IsHttpUrl(string value, bool allowWildcardHost)
    {
        // ASP.NET Core accepts http://*:port and http://+:port as bind addresses.
        var probe = allowWildcardHost ? value.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal) : value;
        return Uri.TryCreate(probe, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0;
    }

    private static bool IsSeedNode(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.Scheme == "akka.tcp"
        && uri.UserInfo == ClusterSettings.ActorSystemName
        && uri.Host.Length > 0
        && uri.Port is > 0 and <= 65535;
}
