namespace Sower.Messages.Domain;

/// <summary>What may be done with a seed. The numeric value is the disruption order: higher is more disruptive.</summary>
public enum PolicyAction
{
    Stage = 1,
    Activate = 2,
    Restart = 3,
}

public static class PolicyActions
{
    /// <summary>Most disruptive first: the order in which the evaluator walks the levels.</summary>
    public static readonly IReadOnlyList<PolicyAction> ByDisruptionDescending =
        [PolicyAction.Restart, PolicyAction.Activate, PolicyAction.Stage];

    public static string ToWire(this PolicyAction action) => action switch
    {
        PolicyAction.Stage => "stage",
        PolicyAction.Activate => "activate",
        PolicyAction.Restart => "restart",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static bool TryParse(string? wire, out PolicyAction action)
    {
        switch (wire)
        {
            case "stage": action = PolicyAction.Stage; return true;
            case "activate": action = PolicyAction.Activate; return true;
            case "restart": action = PolicyAction.Restart; return true;
            default: action = default; return false;
        }
    }

    /// <summary>The less disruptive of two actions.</summary>
    public static PolicyAction Min(PolicyAction a, PolicyAction b) => a <= b ? a : b;
}
