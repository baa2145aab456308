namespace Sower.Activator;

/// <summary>The effective settings of one activator process: the config file, with command-line flags on top.</summary>
public sealed record ActivatorSettings
{
    public required IReadOnlySet<uint> AllowedGids { get; init; }
    public required ActivatorConfig Config { get; init; }
    public required TimeSpan Timeout { get; init; }

    /// <summary>The --config file this process was started with (null: the default), handed on to the rollback timer it starts.</summary>
    public string? ConfigFile { get; init; }

    public TimeSpan RequestReadTimeout => TimeSpan.FromSeconds(Config.RequestReadTimeoutSeconds);
    public TimeSpan IdleExit => TimeSpan.FromSeconds(Config.IdleExitSeconds);
    public TimeSpan RebootDelay => TimeSpan.FromSeconds(Config.RebootDelaySeconds);

    /// <summary>
    /// Merges flags and file: allowed GIDs are the union of <c>--allowed-gids</c> and the configured group names,
    /// each of which must exist; <c>--timeout</c> overrides <c>timeout_seconds</c>.
    /// </summary>
    public static ActivatorSettings Create(CommandLine commandLine, ActivatorConfig config, IAccounts accounts)
    {
        var gids = new HashSet<uint>(commandLine.AllowedGids);
        foreach (var group in config.AllowedGroups)
        {
            gids.Add(accounts.FindGroup(group) ?? throw new ActivatorSetupException($"allowed_groups: unknown group: {group}"));
        }
        return new ActivatorSettings
        {
            AllowedGids = gids,
            Config = config,
            Timeout = TimeSpan.FromSeconds(commandLine.TimeoutSeconds ?? config.TimeoutSeconds),
            ConfigFile = commandLine.ConfigFile,
        };
    }
}
