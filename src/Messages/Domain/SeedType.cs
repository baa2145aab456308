namespace Sower.Messages.Domain;

/// <summary>The kind of artifact a seed is. Wire names are lower-case with dashes (REFERENCE §1.3).</summary>
public enum SeedType
{
    NixOS,
    HomeManager,
    NixDarwin,
    Service,
    GcRoot,
}

public static class SeedTypes
{
    public static readonly IReadOnlyList<SeedType> All =
        [SeedType.NixOS, SeedType.HomeManager, SeedType.NixDarwin, SeedType.Service, SeedType.GcRoot];

    public static string ToWire(this SeedType type) => type switch
    {
        SeedType.NixOS => "nixos",
        SeedType.HomeManager => "home-manager",
        SeedType.NixDarwin => "nix-darwin",
        SeedType.Service => "service",
        SeedType.GcRoot => "gcroot",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The wire name, or the number for a value outside the enum (never throws; for messages).</summary>
    public static string WireOrNumber(SeedType type) =>
        Enum.IsDefined(type) ? type.ToWire() : ((int)type).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParse(string? wire, out SeedType type)
    {
        switch (wire)
        {
            case "nixos": type = SeedType.NixOS; return true;
            case "home-manager": type = SeedType.HomeManager; return true;
            case "nix-darwin": type = SeedType.NixDarwin; return true;
            case "service": type = SeedType.Service; return true;
            case "gcroot": type = SeedType.GcRoot; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Policy actions the type supports, most disruptive first.</summary>
    public static IReadOnlyList<PolicyAction> SupportedActions(this SeedType type) => type switch
    {
        SeedType.NixOS or SeedType.NixDarwin => [PolicyAction.Restart, PolicyAction.Activate, PolicyAction.Stage],
        SeedType.HomeManager or SeedType.Service => [PolicyAction.Activate, PolicyAction.Stage],
        SeedType.GcRoot => [PolicyAction.Stage],
        _ => [],
    };

    public static bool Supports(this SeedType type, PolicyAction action) => type switch
    {
        SeedType.NixOS or SeedType.NixDarwin => true,
        SeedType.HomeManager or SeedType.Service => action != PolicyAction.Restart,
        SeedType.GcRoot => action == PolicyAction.Stage,
        _ => false,
    };
}
