namespace Sower.Messages.Domain;

/// <summary>From a permitted action to how it is executed (REFERENCE §4.6).</summary>
public static class ActivationModes
{
    /// <summary>The switch-to-configuration mode for a nixos seed: activate = "switch", restart = "boot" (then the reboot
    /// decision), stage = null (realise and pin only).</summary>
    public static string? NixosMode(PolicyAction action) => action switch
    {
        PolicyAction.Activate => "switch",
        PolicyAction.Restart => "boot",
        _ => null,
    };

    /// <summary>Whether the garden can execute the action for the seed type today (nix-darwin activation is not supported yet).</summary>
    public static bool CanExecute(SeedType seedType, PolicyAction action) =>
        seedType.Supports(action) && (seedType != SeedType.NixDarwin || action == PolicyAction.Stage);
}
