using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>The action for each request type (REFERENCE §7.4).</summary>
public static class Actions
{
    private static readonly StageAction Stage = new();
    private static readonly NixosAction NixOS = new();
    private static readonly HomeManagerAction HomeManager = new();
    private static readonly ProfileAction Profile = new();
    private static readonly ServicesAction Services = new();
    private static readonly RebootAction Reboot = new();
    private static readonly ConfirmAction Confirm = new();
    private static readonly RollbackStatusAction RollbackStatus = new();

    /// <summary>The action for a validated type (the validator has already refused unknown types).</summary>
    public static IActivatorAction For(string type) => type switch
    {
        ActivatorRequestTypes.Stage => Stage,
        ActivatorRequestTypes.NixOS => NixOS,
        ActivatorRequestTypes.HomeManager => HomeManager,
        ActivatorRequestTypes.Profile => Profile,
        ActivatorRequestTypes.Services => Services,
        ActivatorRequestTypes.Reboot => Reboot,
        ActivatorRequestTypes.Confirm => Confirm,
        ActivatorRequestTypes.RollbackStatus => RollbackStatus,
        _ => throw new ArgumentException($"invalid type: {type}", nameof(type)),
    };

    /// <summary>Creates a directory for roots or profiles (0755, parents included) if it is not there yet.</summary>
    internal static void EnsureDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }
}
