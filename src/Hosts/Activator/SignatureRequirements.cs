using System.Text.Json;
using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>
/// <c>require_signatures</c>: per request type, whether the path must carry a signature from a trusted key before it
/// is activated. On by default for the types that run as root (<c>nixos</c>, <c>profile</c>, <c>services</c>); an
/// operator may switch one off, or require it for <c>home-manager</c> too. In the file: <c>true</c>/<c>false</c> for
/// all of them, or an object naming types (the others keep their default).
/// </summary>
public sealed record SignatureRequirements(bool NixOS, bool Profile, bool Services, bool HomeManager)
{
    public static readonly SignatureRequirements Default = new(NixOS: true, Profile: true, Services: true, HomeManager: false);

    /// <summary>The request types the setting may name; stage fetches through Nix's own check, reboot has no path.</summary>
    public static readonly IReadOnlyList<string> Types =
        [ActivatorRequestTypes.NixOS, ActivatorRequestTypes.Profile, ActivatorRequestTypes.Services, ActivatorRequestTypes.HomeManager];

    public bool IsRequiredFor(string type) => type switch
    {
        ActivatorRequestTypes.NixOS => NixOS,
        ActivatorRequestTypes.Profile => Profile,
        ActivatorRequestTypes.Services => Services,
        ActivatorRequestTypes.HomeManager => HomeManager,
        _ => false,
    };

    internal static SignatureRequirements Parse(JsonProperty p)
    {
        var value = p.Value;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            var all = value.GetBoolean();
            return new SignatureRequirements(all, all, all, all);
        }
        var shape = $"{p.Name} must be true, false or an object of {string.Join(", ", Types)} → true/false";
        if (value.ValueKind != JsonValueKind.Object) throw new ActivatorSetupException(shape);
        var result = Default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (!seen.Add(entry.Name)) throw new ActivatorSetupException($"{p.Name}: duplicate key: {entry.Name}");
            if (entry.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new ActivatorSetupException($"{p.Name}.{entry.Name} must be true or false");
            var on = entry.Value.GetBoolean();
            result = entry.Name switch
            {
                ActivatorRequestTypes.NixOS => result with { NixOS = on },
                ActivatorRequestTypes.Profile => result with { Profile = on },
                ActivatorRequestTypes.Services => result with { Services = on },
                ActivatorRequestTypes.HomeManager => result with { HomeManager = on },
                _ => throw new ActivatorSetupException($"{p.Name}: unknown request type: {entry.Name} (allowed: {string.Join(", ", Types)})"),
            };
        }
        return result;
    }
}
