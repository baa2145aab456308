using System.Collections.Immutable;

namespace Sower.Messages.Tokens;

/// <summary>The roles an access token can carry (REFERENCE §6.15); the wire value is the constant's string.</summary>
public static class Roles
{
    public const string SeedRead = "seed:read";
    public const string SeedWrite = "seed:write";
    public const string NixCacheRead = "nix-cache:read";
    public const string GardenRegister = "garden:register";
    public const string GardenRead = "garden:read";
    public const string DeploymentRead = "deployment:read";
    public const string DeploymentWrite = "deployment:write";
    /// <summary>Scraping <c>GET /metrics</c> (Prometheus) and nothing else.</summary>
    public const string MetricsRead = "metrics:read";
    public const string Admin = "admin";

    /// <summary>Internal: a garden's own credential. Never mintable through the API, and not implied by admin.</summary>
    public const string Garden = "garden";

    /// <summary>Every role, in the order the UI lists them.</summary>
    public static readonly ImmutableArray<string> All =
        [SeedRead, SeedWrite, NixCacheRead, GardenRegister, GardenRead, DeploymentRead, DeploymentWrite, MetricsRead, Admin, Garden];

    /// <summary>The roles a user may put on a token (everything except <see cref="Garden"/>).</summary>
    public static readonly ImmutableArray<string> Mintable = All.Remove(Garden);

    public static bool IsKnown(string? role) => role is not null && All.Contains(role);

    /// <summary>True when a holder of <paramref name="held"/> satisfies a requirement for <paramref name="required"/>:
    /// holding it, or holding admin for anything but the garden role.</summary>
    public static bool Satisfies(IEnumerable<string> held, string required)
    {
        foreach (var role in held)
        {
            if (role == required) return true;
            if (role == Admin && required != Garden) return true;
        }
        return false;
    }
}
