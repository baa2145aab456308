using System.Collections.Immutable;
using NodaTime;

namespace Sower.Messages.Domain;

/// <summary>
/// A time window of a policy rule (REFERENCE §4.4). Both bounds are inclusive wall-clock times; <see cref="Start"/> after
/// <see cref="End"/> is an overnight window whose <see cref="Days"/> name the opening day. The day set and the zone are
/// resolved once when set, so evaluation never looks them up again.
/// </summary>
public sealed record PolicyWindow
{
    public const int AllDays = 0b1111_1110; // bit n = IsoDayOfWeek n (Monday = 1 ... Sunday = 7)

    public PolicyWindow(LocalTime Start, LocalTime End, ImmutableArray<IsoDayOfWeek>? Days = null, string? Tz = null)
    {
        this.Start = Start;
        this.End = End;
        this.Days = Days;
        this.Tz = Tz;
    }

    public LocalTime Start { get; init; }

    public LocalTime End { get; init; }

    /// <summary>Null = every day. An empty list is legal and never matches.</summary>
    public ImmutableArray<IsoDayOfWeek>? Days
    {
        get;
        init
        {
            field = value;
            DayMask = MaskOf(value);
        }
    }

    /// <summary>IANA zone id that overrides the subscription's zone; null = use the subscription's zone.</summary>
    public string? Tz
    {
        get;
        init
        {
            field = value;
            Zone = value is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(value);
        }
    }

    /// <summary>The resolved <see cref="Tz"/>; null when Tz is null or unknown (an unknown zone never matches).</summary>
    public DateTimeZone? Zone { get; private init; }

    internal int DayMask { get; private init; }

    public bool IsOvernight => Start > End;

    public void Deconstruct(out LocalTime Start, out LocalTime End, out ImmutableArray<IsoDayOfWeek>? Days, out string? Tz)
    {
        Start = this.Start;
        End = this.End;
        Days = this.Days;
        Tz = this.Tz;
    }

    public bool Equals(PolicyWindow? other) =>
        other is not null && Start == other.Start && End == other.End && Seq.Equal(Days, other.Days) &&
        string.Equals(Tz, other.Tz, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Start, End, Seq.Hash(Days), Tz);

    /// <summary>Readable for logs, e.g. <c>23:00-01:30 on [sat] in America/New_York</c>.</summary>
    public override string ToString() =>
        $"{PolicyJson.FormatTime(Start)}-{PolicyJson.FormatTime(End)}" +
        (Days is { } days ? $" on [{string.Join(", ", days.Select(d => d is >= IsoDayOfWeek.Monday and <= IsoDayOfWeek.Sunday ? PolicyJson.DayToWire(d) : d.ToString()))}]" : "") +
        (Tz is null ? "" : $" in {Tz}");

    private static int MaskOf(ImmutableArray<IsoDayOfWeek>? days)
    {
        if (days is not { } list) return AllDays;
        var mask = 0;
        if (!list.IsDefault)
        {
            foreach (var day in list)
            {
                if (day is >= IsoDayOfWeek.Monday and <= IsoDayOfWeek.Sunday) mask |= 1 << (int)day;
            }
        }
        return mask;
    }
}

/// <summary>
/// One rule of a deployment policy (REFERENCE §4.1): grants <see cref="Actions"/> for <see cref="Triggers"/> (null = every
/// trigger) inside <see cref="Window"/> (null = any time), optionally only after confirmation.
/// </summary>
public sealed record PolicyRule
{
    public PolicyRule(string Name, ImmutableArray<PolicyAction> Actions, ImmutableArray<Trigger>? Triggers = null,
                      PolicyWindow? Window = null, bool Confirm = false)
    {
        this.Name = Name;
        this.Actions = Actions;
        this.Triggers = Triggers;
        this.Window = Window;
        this.Confirm = Confirm;
    }

    public string Name
    {
        get;
        init
        {
            field = value;
            _decisions = null;
        }
    }

    public ImmutableArray<PolicyAction> Actions
    {
        get;
        init
        {
            field = value;
            var mask = 0;
            if (!value.IsDefault)
            {
                foreach (var action in value)
                {
                    if (action is >= PolicyAction.Stage and <= PolicyAction.Restart) mask |= 1 << (int)action;
                }
            }
            ActionMask = mask;
        }
    }

    /// <summary>Null = every trigger. An empty list is legal and never matches.</summary>
    public ImmutableArray<Trigger>? Triggers
    {
        get;
        init
        {
            field = value;
            var mask = -1;
            if (value is { } list)
            {
                mask = 0;
                if (!list.IsDefault)
                {
                    foreach (var trigger in list)
                    {
                        if (trigger is >= Trigger.Manual and <= Trigger.Recall) mask |= 1 << (int)trigger;
                    }
                }
            }
            TriggerMask = mask;
        }
    }

    public PolicyWindow? Window { get; init; }

    public bool Confirm
    {
        get;
        init
        {
            field = value;
            _decisions = null;
        }
    }

    internal int ActionMask { get; private init; }

    internal int TriggerMask { get; private init; }

    // The decisions this rule yields when it alone decides a level, built once so evaluation does not allocate.
    private PolicyDecision[]? _decisions;

    public bool Grants(PolicyAction action) => (ActionMask & (1 << (int)action)) != 0;

    public bool AppliesTo(Trigger trigger) => (TriggerMask & (1 << (int)trigger)) != 0;

    internal PolicyDecision SoleDecision(PolicyAction action)
    {
        var cache = _decisions;
        if (cache is null)
        {
            var names = ImmutableArray.Create(Name);
            var kind = Confirm ? DecisionKind.Confirm : DecisionKind.Allow;
            cache = [null!, new(kind, PolicyAction.Stage, names), new(kind, PolicyAction.Activate, names), new(kind, PolicyAction.Restart, names)];
            _decisions = cache;
        }
        return cache[(int)action];
    }

    public void Deconstruct(out string Name, out ImmutableArray<PolicyAction> Actions, out ImmutableArray<Trigger>? Triggers,
                            out PolicyWindow? Window, out bool Confirm)
    {
        Name = this.Name;
        Actions = this.Actions;
        Triggers = this.Triggers;
        Window = this.Window;
        Confirm = this.Confirm;
    }

    public bool Equals(PolicyRule? other) =>
        other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal) && Seq.Equal(Actions, other.Actions) &&
        Seq.Equal(Triggers, other.Triggers) && Equals(Window, other.Window) && Confirm == other.Confirm;

    public override int GetHashCode() => HashCode.Combine(Name, Seq.Hash(Actions), Seq.Hash(Triggers), Window, Confirm);

    /// <summary>Readable for logs: the name and the rule's JSON.</summary>
    public override string ToString() => $"{Name}: {PolicyJson.RuleToJson(this).ToJsonString(PolicyJson.Display)}";
}

/// <summary>
/// A normalised deployment policy (REFERENCE §4.2): never empty. Constructing it from no rules gives the default policy,
/// one rule allowing <c>activate</c> for manual, scheduled, poll_on_connect and recall (a recall is as deliberate as a manual
/// deployment); any rule replaces the default entirely.
/// </summary>
public sealed record Policy
{
    public const string DefaultRuleName = "default";

    private static readonly ImmutableArray<PolicyRule> DefaultRules =
    [
        new PolicyRule(DefaultRuleName, [PolicyAction.Activate], [Trigger.Manual, Trigger.Scheduled, Trigger.PollOnConnect, Trigger.Recall]),
    ];

    public Policy(ImmutableArray<PolicyRule> Rules)
    {
        this.Rules = Rules;
    }

    public static Policy Default { get; } = new(DefaultRules);

    public ImmutableArray<PolicyRule> Rules
    {
        get;
        init
        {
            if (!value.IsDefault && value.Contains(null!)) throw new ArgumentException("a policy rule must not be null", nameof(Rules));
            field = value.IsDefaultOrEmpty ? DefaultRules : value;
        }
    }

    public bool IsDefault => Rules.Length == 1 && Rules[0].Equals(DefaultRules[0]);

    public void Deconstruct(out ImmutableArray<PolicyRule> Rules) => Rules = this.Rules;

    public bool Equals(Policy? other) => other is not null && Seq.Equal(Rules, other.Rules);

    public override int GetHashCode() => Seq.Hash(Rules);

    /// <summary>Readable for logs: the map form (<c>{}</c> for the default policy).</summary>
    public override string ToString() => PolicyJson.ToJson(this).ToJsonString(PolicyJson.Display);
}
