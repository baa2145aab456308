using Sower.Actors.Hosting;
using Sower.Server.Configuration;

namespace Sower.Server.Tests.Infra;

public sealed class ServerOptionsLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-options-").FullName;
    private static readonly Dictionary<string, string?> NoEnv = [];

    private string WriteConfig(string json, string name = "server.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static ServerOptions Valid(ServerOptionsResult result)
    {
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        return result.Options!;
    }

    [Fact]
    public void No_configuration_means_data_in_dot_data_sqlite_there_and_loopback_7150()
    {
        var options = Valid(ServerOptionsLoader.Load([], NoEnv));
        Assert.Equal(Path.GetFullPath("data"), options.DataDir);
        Assert.Equal(["http://127.0.0.1:7150"], options.Urls);
        Assert.Equal(DatabaseProvider.Sqlite, options.Persistence.Provider);
        Assert.Equal($"Data Source={Path.Combine(Path.GetFullPath("data"), "sower.db")}", options.Persistence.ConnectionString);
        Assert.Equal("127.0.0.1", options.Cluster.Hostname);
        Assert.Empty(options.Cluster.SeedNodes);
        Assert.Equal(7200, options.StaleAfterSeconds);
        Assert.Equal(60, options.StaleCheckIntervalSeconds);
        Assert.Equal(86400, options.ApprovalExpirySeconds);
        Assert.Equal("Information", options.LogLevel);
        Assert.Null(options.PublicUrl);
    }

    [Fact]
    public void Json_file_keys_are_snake_case_and_relative_paths_are_relative_to_the_file()
    {
        File.WriteAllText(Path.Combine(_dir, "pg.conn"), "Host=db;Database=sower\n");
        var config = WriteConfig("""
            {
              // comments are allowed
              "public_url": "https://sower.example.org",
              "listen": ["http://0.0.0.0:8080", "http://[::1]:8081"],
              "data_dir": "state",
              "database": { "provider": "postgresql", "connection_string_file": "pg.conn" },
              "cluster": { "hostname": "10.0.0.5", "port": 4053, "seed_nodes": ["akka.tcp://sower@10.0.0.5:4053"], "roles": ["api"] },
              "stale_after_seconds": 600,
              "stale_check_interval_seconds": "30",
              "approval_expiry_seconds": 3600,
              "log_level": "debug"
            }
            """);
        var options = Valid(ServerOptionsLoader.Load(["--config", config], NoEnv));
        Assert.Equal("https://sower.example.org", options.PublicUrl);
        Assert.Equal(["http://0.0.0.0:8080", "http://[::1]:8081"], options.Urls);
        Assert.Equal(Path.Combine(_dir, "state"), options.DataDir);
        Assert.Equal(new PersistenceSettings(DatabaseProvider.PostgreSql, "Host=db;Database=sower"), options.Persistence);
        Assert.Equal(4053, options.Cluster.Port);
        Assert.Equal(["akka.tcp://sower@10.0.0.5:4053"], options.Cluster.SeedNodes);
        Assert.Equal(["api"], options.Cluster.Roles);
        Assert.Equal(600, options.StaleAfterSeconds);
        Assert.Equal(30, options.StaleCheckIntervalSeconds);
        Assert.Equal(3600, options.ApprovalExpirySeconds);
        Assert.Equal("Debug", options.LogLevel);
        Assert.Equal(config, options.ConfigFile);
    }

    [Fact]
    public void Environment_overrides_the_file_and_flags_override_the_environment()
    {
        var config = WriteConfig("""{"data_dir":"/from/file","log_level":"Error","stale_after_seconds":100}""");
        var env = new Dictionary<string, string?>
        {
            ["SOWER_SERVER_CONFIG_FILE"] = config,
            ["SOWER_DATA_DIR"] = "/from/env",
            ["SOWER_LOG_LEVEL"] = "Warning",
            ["SOWER_DATABASE__PROVIDER"] = "postgresql",
            ["SOWER_DATABASE__CONNECTION_STRING"] = "Host=pg",
            ["SOWER_CLUSTER__SEED_NODES"] = "akka.tcp://sower@a:1,akka.tcp://sower@b:2",
            ["SOWER_CLUSTER__ROLES__0"] = "x",
            ["SOWER_CLUSTER__ROLES__1"] = "y",
            ["SOWER_TEST_POSTGRES"] = "ignored: not a server setting",
        };
        var options = Valid(ServerOptionsLoader.Load(["--data-dir=/from/flag", "--urls", "http://127.0.0.1:9000"], env));
        Assert.Equal("/from/flag", options.DataDir);
        Assert.Equal("Warning", options.LogLevel);
        Assert.Equal(100, options.StaleAfterSeconds);
        Assert.Equal(["http://127.0.0.1:9000"], options.Urls);
        Assert.Equal(new PersistenceSettings(DatabaseProvider.PostgreSql, "Host=pg"), options.Persistence);
        Assert.Equal(["akka.tcp://sower@a:1", "akka.tcp://sower@b:2"], options.Cluster.SeedNodes);
        Assert.Equal(["x", "y"], options.Cluster.Roles);
    }

    [Fact]
    public void The_split_brain_resolver_defaults_to_the_lease_on_postgresql_and_is_validated()
    {
        var sqlite = ServerOptionsLoader.Load([], NoEnv);
        Assert.Equal(SplitBrainStrategy.KeepMajority, (sqlite.Options!.Cluster with { Database = sqlite.Options.Persistence }).EffectiveSplitBrainResolver);

        var pg = ServerOptionsLoader.Load([], new Dictionary<string, string?>
        {
            ["SOWER_DATABASE__PROVIDER"] = "postgresql",
            ["SOWER_DATABASE__CONNECTION_STRING"] = "Host=db;Database=sower",
            ["SOWER_CLUSTER__HEARTBEAT_PAUSE_SECONDS"] = "20",
        });
        Assert.True(pg.IsValid, string.Join("\n", pg.Problems));
        Assert.Equal(SplitBrainStrategy.LeaseMajority, (pg.Options!.Cluster with { Database = pg.Options.Persistence }).EffectiveSplitBrainResolver);
        Assert.Equal(20, pg.Options.Cluster.HeartbeatPauseSeconds);

        var bad = ServerOptionsLoader.Load(["--config", WriteConfig("""
            { "cluster": { "split_brain_resolver": "lease-majority", "heartbeat_pause_seconds": 1, "stable_after_seconds": 500, "join_timeout_seconds": 5 } }
            """)], NoEnv);
        Assert.Equal(
        [
            "cluster.split_brain_resolver: lease-majority keeps its lease in the shared database and needs database.provider postgresql",
            "cluster.heartbeat_pause_seconds: must be from 3 to 120",
            "cluster.stable_after_seconds: must be from 2 to 120",
            "cluster.join_timeout_seconds: must be from 10 to 3600",
        ], bad.Problems.ToArray());

        var unknown = ServerOptionsLoader.Load([], new Dictionary<string, string?> { ["SOWER_CLUSTER__SPLIT_BRAIN_RESOLVER"] = "auto-down" });
        Assert.Equal(["cluster.split_brain_resolver: must be \"lease-majority\", \"keep-majority\" or \"keep-oldest\", got \"auto-down\""], unknown.Problems.ToArray());
    }

    [Fact]
    public void Every_problem_is_reported_with_its_path()
    {
        var config = WriteConfig("""
            {
              "database": { "provider": "postgresql" },
              "stale_after_seconds": -5,
              "stale_check_interval_seconds": "soon",
              "approval_expiry_seconds": 0,
              "urls": ["ftp://x", 3],
              "public_url": "sower.example.org",
              "cluster": { "port": 70000, "seed_nodes": ["10.0.0.1:4053"] },
              "log_level": "loud",
              "colour": "blue"
            }
            """);
        var result = ServerOptionsLoader.Load(["--config", config, "--verbose"], NoEnv);
        Assert.False(result.IsValid);
        Assert.Equal(
        [
            "arguments: unknown argument \"--verbose\" (known: --config, --data-dir, --urls, --public-url, --log-level)",
            "urls[1]: must be a string",
            "colour: unknown setting",
            "urls[0]: \"ftp://x\" must be an absolute http:// or https:// address (e.g. http://127.0.0.1:7150)",
            "public_url: \"sower.example.org\" must be an absolute http:// or https:// URL",
            "database.connection_string: required when database.provider is postgresql",
            "cluster.port: must be an integer from 0 to 65535",
            "cluster.seed_nodes[0]: \"10.0.0.1:4053\" must look like akka.tcp://sower@host:port",
            "log_level: must be one of Trace, Debug, Information, Warning, Error, Critical, None",
            "stale_after_seconds: must be a positive integer",
            "stale_check_interval_seconds: must be a positive integer",
            "approval_expiry_seconds: must be a positive integer",
        ], result.Problems.ToArray());
    }

    [Fact]
    public void Unknown_provider_and_conflicting_connection_settings_are_problems()
    {
        var env = new Dictionary<string, string?>
        {
            ["SOWER_DATABASE__PROVIDER"] = "mysql",
            ["SOWER_DATABASE__CONNECTION_STRING"] = "x",
            ["SOWER_DATABASE__CONNECTION_STRING_FILE"] = "/nonexistent",
        };
        var result = ServerOptionsLoader.Load([], env);
        Assert.Contains("database.provider: must be \"sqlite\" or \"postgresql\", got \"mysql\"", result.Problems);
        Assert.Contains("database.connection_string_file: set either database.connection_string or database.connection_string_file, not both", result.Problems);
    }

    [Fact]
    public void Binding_remoting_to_every_interface_needs_a_public_hostname()
    {
        var result = ServerOptionsLoader.Load([], new Dictionary<string, string?> { ["SOWER_CLUSTER__HOSTNAME"] = "0.0.0.0" });
        Assert.Equal(["cluster.public_hostname: required when cluster.hostname binds every interface (other nodes need an address to reach this one)"],
            result.Problems.ToArray());
        var fixedUp = ServerOptionsLoader.Load([], new Dictionary<string, string?>
        {
            ["SOWER_CLUSTER__HOSTNAME"] = "0.0.0.0",
            ["SOWER_CLUSTER__PUBLIC_HOSTNAME"] = "node1.internal",
        });
        Assert.Equal("node1.internal", Valid(fixedUp).Cluster.PublicHostname);
    }

    [Fact]
    public void A_missing_or_broken_config_file_is_a_problem_not_an_exception()
    {
        var missing = Path.Combine(_dir, "nope.json");
        Assert.Equal([$"config: file \"{missing}\" not found"], ServerOptionsLoader.Load(["--config", missing], NoEnv).Problems.ToArray());

        var broken = WriteConfig("{ \"data_dir\": ", "broken.json");
        var problem = Assert.Single(ServerOptionsLoader.Load(["--config", broken], NoEnv).Problems);
        Assert.StartsWith($"config: \"{broken}\" is not valid JSON", problem);

        Assert.Equal(["arguments: --config needs a value"], ServerOptionsLoader.Load(["--config"], NoEnv).Problems.ToArray());
    }

    [Fact]
    public void Problems_are_written_one_per_line_starting_with_the_marker()
    {
        var result = ServerOptionsLoader.Load([], new Dictionary<string, string?> { ["SOWER_STALE_AFTER_SECONDS"] = "x", ["SOWER_LOG_LEVEL"] = "y" });
        var writer = new StringWriter();
        result.WriteProblems(writer);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("Configuration validation failed: ", l));
        Assert.Equal(78, ServerOptionsResult.ExitCode);
    }

    [Fact]
    public void Prepare_creates_a_missing_data_dir_with_mode_0700()
    {
        var dataDir = Path.Combine(_dir, "fresh", "data");
        var options = Valid(ServerOptionsLoader.LoadAndPrepare(["--data-dir", dataDir], NoEnv));
        Assert.True(Directory.Exists(options.DataDir));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
    }

    [Fact]
    public void The_logging_section_sets_the_default_level_and_levels_per_area()
    {
        var config = WriteConfig("""{"logging": {"level": "info", "levels": {"Sower.Actors.Server.GardenActor": "debug", "Akka.Cluster": "warn"}}}""");
        var options = Valid(ServerOptionsLoader.Load(["--config", config], NoEnv));
        Assert.Equal("Information", options.LogLevel);
        Assert.Equal("Debug", options.Logging.Areas["Sower.Actors.Server.GardenActor"]);
        Assert.Equal("Warning", options.Logging.Areas["Akka.Cluster"]);
        // The flag and the environment still override the file's default level.
        Assert.Equal("Error", Valid(ServerOptionsLoader.Load(["--config", config, "--log-level", "Error"], NoEnv)).LogLevel);
        var env = new Dictionary<string, string?> { ["SOWER_LOGGING__LEVELS"] = """{"Sower.Server.Gateway": "trace"}""" };
        Assert.Equal("Trace", Valid(ServerOptionsLoader.Load([], env)).Logging.Areas["Sower.Server.Gateway"]);
    }

    [Fact]
    public void A_bad_level_in_the_logging_section_is_refused_with_its_path()
    {
        var config = WriteConfig("""{"logging": {"level": "chatty", "levels": {"Sower.Actors.Server": "verbose", "Sower Actors": "debug"}, "colour": "blue"}}""");
        var result = ServerOptionsLoader.Load(["--config", config], NoEnv);
        Assert.False(result.IsValid);
        Assert.Equal(
        [
            "logging.colour: unknown setting",
            "logging.level: must be one of trace, debug, info (information), warn (warning), error, critical or none, got \"chatty\"",
            "logging.levels.Sower.Actors.Server: must be one of trace, debug, info (information), warn (warning), error, critical or none, got \"verbose\"",
            "logging.levels.Sower Actors: an area is a logging category or its start, a dotted name such as Sower.Actors.Server or Akka.Cluster",
        ], result.Problems.ToArray());
        var both = WriteConfig("""{"log_level": "debug", "logging": {"level": "info"}}""", "both.json");
        Assert.Equal(["logging.level: set either log_level or logging.level, not both"], ServerOptionsLoader.Load(["--config", both], NoEnv).Problems.ToArray());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
