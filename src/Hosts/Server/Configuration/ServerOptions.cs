using Sower.Actors.Hosting;

namespace Sower.Server.Configuration;

/// <summary>The server's settings (REFERENCE §6.1), loaded by <see cref="ServerOptionsLoader"/> from the JSON file
/// (snake_case keys), <c>SOWER_*</c> environment variables and flags. Defaults need no configuration at all.</summary>
public sealed class ServerOptions
{
    public const string DefaultUrl = "http://127.0.0.1:7150";
    public const string DefaultDataDir = "data";

    /// <summary>Absolute path of the data directory (SQLite file, admin token file, key material).</summary>
    public string DataDir { get; init; } = Path.GetFullPath(DefaultDataDir);
    public string[] Urls { get; init; } = [DefaultUrl];
    public DatabaseOptions Database { get; init; } = new();
    public ClusterSettings Cluster { get; init; } = new();
    public AuthOptions Auth { get; init; } = new();
    public int StaleAfterSeconds { get; init; } = 7200;
    public int StaleCheckIntervalSeconds { get; init; } = 60;
    public int ApprovalExpirySeconds { get; init; } = 86400;
    /// <summary>The longest a token created by a non-admin may live, in days from its creation (default one year).</summary>
    public int MaxTokenLifetimeDays { get; init; } = Sower.Messages.Tokens.AccessTokenLimits.DefaultMaxLifetimeDays;
    /// <summary>How long a parked garden re-enrollment waits for an admin.</summary>
    public int EnrollmentExpirySeconds { get; init; } = 86400;
    public string? PublicUrl { get; init; }
    /// <summary>Reboot lock (issue 14.3): how many gardens of the default group (no group rule matches) may reboot at once.</summary>
    public int RebootLockDefaultMaxConcurrentReboots { get; init; } = 1;
    /// <summary>Reboot lock: a lease not released by then (the garden never came back) frees itself.</summary>
    public int RebootLockLeaseTtlSeconds { get; init; } = 1800;

    public Sower.Messages.RebootLocks.RebootLockSettings RebootLock =>
        new(RebootLockDefaultMaxConcurrentReboots, NodaTime.Duration.FromSeconds(RebootLockLeaseTtlSeconds));
    /// <summary>A Microsoft.Extensions.Logging level name (Trace … Critical, None).</summary>
    public string LogLevel { get; init; } = "Information";
    /// <summary>Levels per area (<c>logging.levels</c>: a category or its start → a level name).</summary>
    public System.Collections.Immutable.ImmutableSortedDictionary<string, string> LogAreas { get; init; } = Sower.Messages.Domain.LoggingLevels.Information.Areas;
    /// <summary><see cref="LogLevel"/> and <see cref="LogAreas"/> together, as the shared logging set-up takes them.</summary>
    public Sower.Messages.Domain.LoggingLevels Logging => new(LogLevel, LogAreas);
    /// <summary>Webhook delivery (README "Notifications (webhooks)") and the webhooks the file declares (more come over the API).</summary>
    public WebhookOptions Webhooks { get; init; } = new();
    /// <summary>The JSON file the settings came from, if any.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Journal and snapshot store: the SQLite file in <see cref="DataDir"/> unless PostgreSQL is configured.</summary>
    public PersistenceSettings Persistence => Database.Provider == DatabaseProvider.PostgreSql
        ? new PersistenceSettings(DatabaseProvider.PostgreSql, Database.ConnectionString!)
        : Database.ConnectionString is { Length: > 0 } sqlite
            ? new PersistenceSettings(DatabaseProvider.Sqlite, sqlite)
            : PersistenceSettings.SqliteIn(DataDir);

    /// <summary><c>&lt;data_dir&gt;/admin-token</c>: the initial admin token, written once, mode 0600.</summary>
    public string AdminTokenFile => Path.Combine(DataDir, "admin-token");
}

/// <summary>The <c>webhooks</c> section: the first retry's wait (doubling up to 6 h), attempts before an entry is dead,
/// and one attempt's timeout.</summary>
public sealed class WebhookOptions
{
    public int FirstRetrySeconds { get; init; } = 30;
    public int MaxAttempts { get; init; } = 15;
    public int TimeoutSeconds { get; init; } = 10;

    /// <summary><c>webhooks.hooks</c>: the webhooks the config file declares (owned by the file; see ConfiguredWebhooks).</summary>
    public System.Collections.Immutable.ImmutableArray<Sower.Actors.Webhooks.ConfiguredWebhook> Hooks { get; init; } = [];
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; init; } = DatabaseProvider.Sqlite;
    /// <summary>Resolved connection string (read from <see cref="ConnectionStringFile"/> when that is set).</summary>
    public string? ConnectionString { get; init; }
    public string? ConnectionStringFile { get; init; }

    public override string ToString() => $"DatabaseOptions {{ Provider = {Provider}, ConnectionStringFile = {ConnectionStringFile} }}";
}

/// <summary>Optional OIDC sign-in for the console (<see cref="Sower.Server.Ui.Auth.OidcSignIn"/>): all or nothing, checked
/// at start by <see cref="OidcSettingsBinder"/>.</summary>
public sealed class AuthOptions
{
    public string? OidcAuthority { get; init; }
    public string? OidcClientId { get; init; }
    public string? OidcClientSecretFile { get; init; }
    /// <summary>Read from <see cref="OidcClientSecretFile"/> at start; null for a public client (PKCE only).</summary>
    public string? OidcClientSecret { get; init; }
    public System.Collections.Immutable.ImmutableArray<string> OidcScopes { get; init; } = OidcSettingsBinder.DefaultScopes;
    public Sower.Messages.Tokens.OidcRoleMapping OidcRoleMapping { get; init; } = Sower.Messages.Tokens.OidcRoleMapping.Empty;

    /// <summary>Whether the console offers "Sign in with OIDC".</summary>
    public bool OidcEnabled => OidcAuthority is not null;

    /// <summary>Whether a token may be used now: any token a person did not mint; a personal token only while OIDC is
    /// configured and the mapping in force still grants its roles to its owner (<see cref="Sower.Messages.Tokens.OidcRoleMapping.Grants"/>).</summary>
    public bool Allows(Sower.Messages.Tokens.AccessTokenInfo token) => token.OwnerPerson is null || OidcEnabled && OidcRoleMapping.Grants(token);

    public override string ToString() => $"AuthOptions {{ OidcAuthority = {OidcAuthority}, OidcClientId = {OidcClientId}, OidcClientSecretFile = {OidcClientSecretFile} }}";
}
