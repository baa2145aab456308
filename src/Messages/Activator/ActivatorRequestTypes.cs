namespace Sower.Messages.Activator;

/// <summary>The request types the activator performs (REFERENCE §7.4).</summary>
public static class ActivatorRequestTypes
{
    public const string Stage = "stage";
    public const string NixOS = "nixos";
    public const string HomeManager = "home-manager";
    public const string Profile = "profile";
    public const string Services = "services";
    public const string Reboot = "reboot";
    public const string Confirm = "confirm";
    public const string RollbackStatus = "rollback-status";

    public static readonly IReadOnlyList<string> All = [Stage, NixOS, HomeManager, Profile, Services, Reboot, Confirm, RollbackStatus];

    public static bool IsKnown(string? type) => type is Stage or NixOS or HomeManager or Profile or Services or Reboot or Confirm or RollbackStatus;
}

/// <summary>The NixOS activation modes; only switch and boot move the system profile (REFERENCE §7.4, pitfall 44).</summary>
public static class NixosModes
{
    public const string Switch = "switch";
    public const string Boot = "boot";
    public const string Test = "test";
    public const string DryActivate = "dry-activate";

    public static readonly IReadOnlyList<string> All = [Switch, Boot, Test, DryActivate];

    public static bool IsKnown(string? mode) => mode is Switch or Boot or Test or DryActivate;

    public static bool SetsProfile(string mode) => mode is Switch or Boot;
}

/// <summary>Exit codes the activator itself puts in <c>complete</c> frames (a child's own code is passed through).</summary>
public static class ActivatorExitCodes
{
    public const int Success = 0;
    public const int Refused = 1;
    /// <summary>EX_CONFIG: <c>--check-config</c> found problems in the configuration file.</summary>
    public const int ConfigInvalid = 78;
    public const int TimedOut = 124;
    /// <summary>confirm: the deadline had already fired; the activator rolled the switch back (the reason is in an error frame).</summary>
    public const int RolledBack = 10;
    /// <summary>confirm: the deadline runs from the next boot, which has not happened yet; confirm again after it.</summary>
    public const int NotYetBooted = 11;
    public const int SignalBase = 128;
}
