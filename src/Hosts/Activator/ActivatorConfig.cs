using System.Text.Json;

namespace Sower.Activator;

/// <summary>
/// The operator's configuration file (default <c>/etc/sower/activator.json</c>). It is the only source of trust
/// material: extra substituters and trusted public keys here are passed to Nix; nothing from a request ever is.
/// Every key is optional; unknown keys and wrong types are errors (a typo must not silently weaken the setup).
/// </summary>
public sealed record ActivatorConfig
{
    public const string DefaultPath = "/etc/sower/activator.json";

    public IReadOnlyList<string> AllowedGroups { get; init; } = [];
    public string? SocketGroup { get; init; }
    public IReadOnlyList<string> ExtraSubstituters { get; init; } = [];
    public IReadOnlyList<string> ExtraTrustedPublicKeys { get; init; } = [];
    public string GcrootsDir { get; init; } = "/nix/var/nix/gcroots/sower";
    public string UserGcrootsDir { get; init; } = "/nix/var/nix/gcroots/per-user";
    public string SystemProfile { get; init; } = "/nix/var/nix/profiles/system";
    public string ProfilesDir { get; init; } = "/nix/var/nix/profiles/sower";
    public string ServicesStateDir { get; init; } = "/var/lib/sower-activator/services";
    public string SdSwitchCommand { get; init; } = "sd-switch";
    public IReadOnlyList<string> RebootCommand { get; init; } = ["systemctl", "reboot"];
    public double RebootDelaySeconds { get; init; } = 5;
    public int TimeoutSeconds { get; init; } = 3600;
    public int IdleExitSeconds { get; init; } = 60;
    public double RequestReadTimeoutSeconds { get; init; } = 5;

    /// <summary>Where armed rollback deadlines are kept (one JSON file each, readable by the garden), so they outlive this process.</summary>
    public string RollbackStateDir { get; init; } = "/var/lib/sower-activator/rollback";

    /// <summary>The longest confirm_timeout a request may ask for; longer ones are cut to it; 0 turns magic rollback off on this host.</summary>
    public int MaxConfirmTimeoutSeconds { get; init; } = 3600;

    /// <summary>How a deadline is kept: <c>auto</c> (a transient systemd timer when systemd is PID 1, else a detached process), <c>systemd</c> or <c>process</c>.</summary>
    public string RollbackTimer { get; init; } = "auto";

    /// <summary>The program that creates a transient systemd timer.</summary>
    public string SystemdRunCommand { get; init; } = "systemd-run";

    /// <summary>Who a root activator may run Home-Manager activations as; null (the default) means every account but uid 0.</summary>
    public IReadOnlyList<string>? AllowedHomeManagerUsers { get; init; }

    /// <summary>Which request types must name a path signed by a trusted key before it is activated.</summary>
    public SignatureRequirements RequireSignatures { get; init; } = SignatureRequirements.Default;

    /// <summary>
    /// Loads <paramref name="path"/>, or the default file when null (a missing default file means all defaults).
    /// Throws <see cref="ActivatorSetupException"/> with the file name and the problem.
    /// </summary>
    public static ActivatorConfig Load(string? path)
    {
        var file = path ?? DefaultPath;
        if (!File.Exists(file))
        {
            if (path is null) return new ActivatorConfig();
            throw new ActivatorSetupException($"config file not found: {file}");
        }
        if ((File.GetUnixFileMode(file) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new ActivatorSetupException($"config file {file} must not be writable by group or others");
        }
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ActivatorSetupException($"cannot read config file {file}: {e.Message}");
        }
        try
        {
            return Parse(text);
        }
        catch (ActivatorSetupException e)
        {
            throw new ActivatorSetupException($"config file {file}: {e.Message}", [.. e.Problems.Select(problem => $"config file {file}: {problem}")]);
        }
    }

    public static ActivatorConfig Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ActivatorSetupException($"invalid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ActivatorSetupException("the top level must be a JSON object");
            var c = new ActivatorConfig();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            // Every problem is collected, so an operator (or --check-config at build time) sees them all at once.
            var problems = new List<string>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(p.Name))
                {
                    problems.Add($"duplicate key: {p.Name}");
                    continue;
                }
                try
                {
                    c = Apply(c, p);
                }
                catch (ActivatorSetupException e)
                {
                    problems.Add(e.Message);
                }
            }
            if (problems.Count > 0) throw new ActivatorSetupException(string.Join("; ", problems), problems);
            return c;
        }
    }

    private static ActivatorConfig Apply(ActivatorConfig c, JsonProperty p) =>
        p.Name switch
        {
            "allowed_groups" => c with { AllowedGroups = Names(p, StringList(p)) },
            "socket_group" => c with { SocketGroup = Names(p, [String(p)])[0] },
            "extra_substituters" => c with { ExtraSubstituters = Tokens(p, StringList(p)) },
            "extra_trusted_public_keys" => c with { ExtraTrustedPublicKeys = Tokens(p, StringList(p)) },
            "gcroots_dir" => c with { GcrootsDir = AbsolutePath(p) },
            "user_gcroots_dir" => c with { UserGcrootsDir = AbsolutePath(p) },
            "system_profile" => c with { SystemProfile = AbsolutePath(p) },
            "profiles_dir" => c with { ProfilesDir = AbsolutePath(p) },
            "services_state_dir" => c with { ServicesStateDir = AbsolutePath(p) },
            "sd_switch_command" => c with { SdSwitchCommand = NonEmpty(p, String(p)) },
            "reboot_command" => c with { RebootCommand = Command(p) },
            "reboot_delay_seconds" => c with { RebootDelaySeconds = Number(p, min: 0, max: 3600) },
            "timeout_seconds" => c with { TimeoutSeconds = (int)Whole(p, min: 1, max: 7 * 24 * 3600) },
            "idle_exit_seconds" => c with { IdleExitSeconds = (int)Whole(p, min: 0, max: 24 * 3600) },
            "request_read_timeout_seconds" => c with { RequestReadTimeoutSeconds = Number(p, min: 0.05, max: 600) },
            "allowed_home_manager_users" => c with { AllowedHomeManagerUsers = UserNames(p, StringList(p)) },
            "rollback_state_dir" => c with { RollbackStateDir = AbsolutePath(p) },
            "max_confirm_timeout_seconds" => c with { MaxConfirmTimeoutSeconds = (int)Whole(p, min: 0, max: Sower.Messages.Activator.ActivatorRequestValidator.MaxConfirmTimeoutSeconds) },
            "rollback_timer" => c with { RollbackTimer = String(p) is "auto" or "systemd" or "process" ? String(p) : throw new ActivatorSetupException($"{p.Name} must be \"auto\", \"systemd\" or \"process\"") },
            "systemd_run_command" => c with { SystemdRunCommand = NonEmpty(p, String(p)) },
            "require_signatures" => c with { RequireSignatures = SignatureRequirements.Parse(p) },
            _ => throw new ActivatorSetupException($"unknown key: {p.Name}"),
        };

    private static string String(JsonProperty p) =>
        p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new ActivatorSetupException($"{p.Name} must be a string");

    private static string NonEmpty(JsonProperty p, string value) =>
        value.Trim().Length > 0 ? value : throw new ActivatorSetupException($"{p.Name} must not be empty");

    private static List<string> StringList(JsonProperty p)
    {
        if (p.Value.ValueKind != JsonValueKind.Array) throw new ActivatorSetupException($"{p.Name} must be a list of strings");
        var list = new List<string>();
        foreach (var e in p.Value.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) throw new ActivatorSetupException($"{p.Name} must be a list of strings");
            list.Add(e.GetString()!);
        }
        return list;
    }

    private static List<string> Names(JsonProperty p, List<string> names)
    {
        foreach (var n in names)
        {
            if (!SystemAccounts.IsPlausibleName(n)) throw new ActivatorSetupException($"{p.Name}: invalid group name: {n}");
        }
        return names;
    }

    private static List<string> UserNames(JsonProperty p, List<string> names)
    {
        foreach (var n in names)
        {
            if (!SystemAccounts.IsPlausibleName(n)) throw new ActivatorSetupException($"{p.Name}: invalid user name: {n}");
        }
        return names;
    }

    // Substituter URLs and keys are passed to Nix as one space-separated option value: no whitespace inside an entry.
    private static List<string> Tokens(JsonProperty p, List<string> values)
    {
        foreach (var v in values)
        {
            if (v.Length == 0 || v.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) throw new ActivatorSetupException($"{p.Name}: invalid entry: \"{v}\"");
        }
        return values;
    }

    private static string AbsolutePath(JsonProperty p)
    {
        var value = String(p);
        if (!Path.IsPathFullyQualified(value) || value.Contains('\0', StringComparison.Ordinal) || value.Split('/').Any(s => s is "." or ".."))
        {
            throw new ActivatorSetupException($"{p.Name} must be an absolute path without . or .. segments: {value}");
        }
        return value.Length > 1 ? value.TrimEnd('/') : value;
    }

    private static List<string> Command(JsonProperty p)
    {
        var list = StringList(p);
        if (list.Count == 0 || list[0].Trim().Length == 0) throw new ActivatorSetupException($"{p.Name} must be a non-empty list: program and arguments");
        return list;
    }

    private static double Number(JsonProperty p, double min, double max)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out var v) || v < min || v > max)
        {
            throw new ActivatorSetupException($"{p.Name} must be a number from {min} to {max}");
        }
        return v;
    }

    private static long Whole(JsonProperty p, long min, long max)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out var v) || v < min || v > max)
        {
            throw new ActivatorSetupException($"{p.Name} must be a whole number from {min} to {max}");
        }
        return v;
    }
}
