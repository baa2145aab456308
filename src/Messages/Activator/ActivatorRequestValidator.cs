using Sower.Messages.Domain;

namespace Sower.Messages.Activator;

/// <summary>
/// The host-independent checks of REFERENCE §7.3, with their exact error texts. The activator adds the checks that
/// need the machine (the Home-Manager user exists, <c>&lt;path&gt;/activate</c> exists, scripts resolve inside the store).
/// Clients run the same checks before sending, so a request the garden sends is never refused for its shape.
/// </summary>
public static class ActivatorRequestValidator
{
    public const string MissingRequestId = "missing request ID";
    public const string ServicesRequireSeed = "services request requires at least one seed";
    public const string EmptySeedName = "seed name must not be empty";
    private const int MaxNameLength = 100;
    private const int MaxEchoLength = 128;

    public static string InvalidType(string type) => $"invalid type: {Echo(type)}";

    public static string InvalidMode(string? mode) => $"invalid mode: {Echo(mode)}";

    public static string InvalidName(string? name) => $"invalid name: {Echo(name)}";

    public static string UnknownUser(string? user) => $"unknown user: {Echo(user)}";

    /// <summary>Returns null when the request is well formed for its type, otherwise the exact error text.</summary>
    public static string? Validate(ActivatorRequest request)
    {
        if (string.IsNullOrEmpty(request.Id)) return MissingRequestId;
        switch (request.Type)
        {
            case ActivatorRequestTypes.Stage:
                return StorePath.Validate(request.Path) ?? ValidateName(request.Gcroot);
            case ActivatorRequestTypes.NixOS:
                return StorePath.Validate(request.Path) ?? (NixosModes.IsKnown(request.Mode) ? null : InvalidMode(request.Mode)) ?? ValidateRollback(request);
            case ActivatorRequestTypes.HomeManager:
                return StorePath.Validate(request.Path) ?? (string.IsNullOrEmpty(request.User) ? UnknownUser(request.User) : null) ?? ValidateRollback(request);
            case ActivatorRequestTypes.Confirm:
            case ActivatorRequestTypes.RollbackStatus:
                return ValidateDeployment(request.Deployment);
            case ActivatorRequestTypes.Profile:
                return StorePath.Validate(request.Path) ?? ValidateName(request.Profile);
            case ActivatorRequestTypes.Services:
                if (request.Seeds is null || request.Seeds.Count == 0) return ServicesRequireSeed;
                foreach (var seed in request.Seeds)
                {
                    if (string.IsNullOrEmpty(seed.Name)) return EmptySeedName;
                    if (StorePath.Validate(seed.Path) is { } error) return error;
                }
                return null;
            case ActivatorRequestTypes.Reboot:
                return null;
            default:
                return InvalidType(request.Type);
        }
    }

    public static string InvalidDeployment(string? deployment) => $"invalid deployment: {Echo(deployment)}";

    public static string InvalidConfirmTimeout(int? seconds) => $"invalid confirm_timeout: {seconds} (0 to {MaxConfirmTimeoutSeconds} seconds)";

    /// <summary>The protocol's own bound; the activator's config caps it further.</summary>
    public const int MaxConfirmTimeoutSeconds = 24 * 3600;

    /// <summary>A deployment id names files in the activator's state directory: the name rules, nothing else.</summary>
    public static string? ValidateDeployment(string? deployment) => ValidateName(deployment) is null ? null : InvalidDeployment(deployment);

    private static string? ValidateRollback(ActivatorRequest request)
    {
        if (request.ConfirmTimeout is { } t && (t < 0 || t > MaxConfirmTimeoutSeconds)) return InvalidConfirmTimeout(t);
        if (request.ConfirmTimeout > 0 || request.Deployment is not null) return ValidateDeployment(request.Deployment);
        return null;
    }

    /// <summary>GC-root and profile names: <c>[A-Za-z0-9._-]{1,100}</c>, not starting with '.'.</summary>
    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name[0] == '.') return InvalidName(name);
        foreach (var c in name)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-')) return InvalidName(name);
        }
        return null;
    }

    // Hostile values are echoed in error texts; keep the echo bounded (the frame itself is JSON-escaped).
    private static string Echo(string? value) =>
        value is null ? "" : value.Length <= MaxEchoLength ? value : string.Concat(value.AsSpan(0, MaxEchoLength), "…");
}
