using System.Collections.Immutable;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;

namespace Sower.Messages.Domain;

/// <summary>
/// Reads and writes policies in their JSON forms (REFERENCE §4.1): a map of rule name to rule (config file, wire, storage) or
/// a list of rules (named rule-1, rule-2, ...). Every problem is reported at once with its path; nothing throws.
/// </summary>
public static class PolicyJson
{
    public const string ExpectedTime = "expected HH:MM";
    private static readonly string[] RuleFields = ["actions", "triggers", "window", "confirm"];
    private static readonly string[] WindowFields = ["time_start", "time_end", "days", "tz"];
    private static readonly string[] DayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>For showing offending JSON values in messages without escaping readable characters.</summary>
    internal static readonly JsonSerializerOptions Display = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parses a policy. null, an empty list and an empty map give the default policy.</summary>
    /// <param name="path">Prefix of every problem path, e.g. "policy" or "subscriptions.web01.policy".</param>
    /// <param name="seedType">When given, an action the seed type cannot do is a problem too (otherwise only a warning,
    /// see <see cref="Warnings"/>).</param>
    public static Parsed<Policy> Parse(JsonNode? node, string path = "policy", SeedType? seedType = null)
    {
        try
        {
            return ParseUnchecked(node, path, seedType);
        }
        catch (ArgumentException)
        {
            // JsonObject reports a key given twice only when first enumerated.
            return Parsed<Policy>.Failure([new ValidationProblem(path, "a key appears twice in the same object")]);
        }
    }

    private static Parsed<Policy> ParseUnchecked(JsonNode? node, string path, SeedType? seedType)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        var rules = ImmutableArray.CreateBuilder<PolicyRule>();
        switch (node)
        {
            case null:
                break;
            case JsonObject map:
                foreach (var (name, value) in map)
                {
                    var rule = ParseRule(name, value, $"{path}.{name}", seedType, problems);
                    if (rule is not null) rules.Add(rule);
                }
                break;
            case JsonArray list:
                for (var i = 0; i < list.Count; i++)
                {
                    var name = $"rule-{i + 1}";
                    var rule = ParseRule(name, list[i], $"{path}.{name}", seedType, problems);
                    if (rule is not null) rules.Add(rule);
                }
                break;
            default:
                problems.Add(new(path, $"expected a map of rule name to rule, a list of rules, or null, got {Show(node)}"));
                break;
        }
        return problems.Count > 0
            ? Parsed<Policy>.Failure(problems.ToImmutable())
            : Parsed<Policy>.Success(new Policy(rules.ToImmutable()));
    }

    /// <summary>The map form (rule name to rule). The default policy is written as the empty map, which reads back as it.
    /// Optional fields are omitted when absent; <c>confirm</c> only when true.</summary>
    public static JsonObject ToJson(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var map = new JsonObject();
        if (policy.IsDefault) return map;
        foreach (var rule in policy.Rules)
        {
            var name = rule.Name;
            for (var n = 2; map.ContainsKey(name); n++) name = $"{rule.Name}-{n}";
            map[name] = RuleToJson(rule);
        }
        return map;
    }

    /// <summary>One rule in the JSON form. Values outside the enums (only possible for rules built in code) are left out.</summary>
    public static JsonObject RuleToJson(PolicyRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var actions = new JsonArray();
        if (!rule.Actions.IsDefault)
        {
            foreach (var action in rule.Actions)
            {
                if (Enum.IsDefined(action)) actions.Add(action.ToWire());
            }
        }
        var json = new JsonObject { ["actions"] = actions };
        if (rule.Triggers is { } triggers)
        {
            var list = new JsonArray();
            if (!triggers.IsDefault)
            {
                foreach (var trigger in triggers)
                {
                    if (Enum.IsDefined(trigger)) list.Add(trigger.ToWire());
                }
            }
            json["triggers"] = list;
        }
        if (rule.Window is { } window)
        {
            var w = new JsonObject { ["time_start"] = FormatTime(window.Start), ["time_end"] = FormatTime(window.End) };
            if (window.Days is { } days)
            {
                var list = new JsonArray();
                if (!days.IsDefault)
                {
                    foreach (var day in days)
                    {
                        if (day is >= IsoDayOfWeek.Monday and <= IsoDayOfWeek.Sunday) list.Add(DayToWire(day));
                    }
                }
                w["days"] = list;
            }
            if (window.Tz is not null) w["tz"] = window.Tz;
            json["window"] = w;
        }
        if (rule.Confirm) json["confirm"] = true;
        return json;
    }

    /// <summary>What a loader should warn about (REFERENCE §4.1–4.2): empty trigger or day lists, which match nothing, and
    /// actions the seed type does not support (the message contains "unsupported action").</summary>
    public static ImmutableArray<string> Warnings(Policy policy, SeedType seedType)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var rule in policy.Rules)
        {
            if (rule.Triggers is { IsDefaultOrEmpty: true })
            {
                warnings.Add($"policy rule \"{rule.Name}\": the triggers list is empty, so the rule matches nothing");
            }
            if (rule.Window?.Days is { IsDefaultOrEmpty: true })
            {
                warnings.Add($"policy rule \"{rule.Name}\": the window's days list is empty, so the rule matches nothing");
            }
            if (rule.Window is { Tz: { } tz, Zone: null })
            {
                warnings.Add($"policy rule \"{rule.Name}\": {Zones.UnknownZone(tz)}, so the window never opens");
            }
            if (!rule.Actions.IsDefault)
            {
                foreach (var action in rule.Actions.Distinct())
                {
                    if (!seedType.Supports(action)) warnings.Add($"policy rule \"{rule.Name}\": {UnsupportedAction(action, seedType)}");
                }
            }
        }
        return warnings.ToImmutable();
    }

    public static string UnsupportedAction(PolicyAction action, SeedType seedType)
    {
        var supported = seedType.SupportedActions();
        var list = supported.Count == 0 ? "none" : string.Join(", ", supported.Select(a => a.ToWire()));
        return $"unsupported action \"{action.ToWire()}\" for seed type {SeedTypes.WireOrNumber(seedType)} (supported: {list})";
    }

    /// <summary>Strict HH:MM: two hour digits 00-23, ':', two minute digits 00-59.</summary>
    public static bool TryParseTime(string? text, out LocalTime time)
    {
        time = default;
        if (text is not { Length: 5 } || text[2] != ':') return false;
        if (!IsDigit(text[0]) || !IsDigit(text[1]) || !IsDigit(text[3]) || !IsDigit(text[4])) return false;
        var hour = (text[0] - '0') * 10 + (text[1] - '0');
        var minute = (text[3] - '0') * 10 + (text[4] - '0');
        if (hour > 23 || minute > 59) return false;
        time = new LocalTime(hour, minute);
        return true;
    }

    public static string FormatTime(LocalTime time) => $"{time.Hour:00}:{time.Minute:00}";

    public static bool TryParseDay(string? text, out IsoDayOfWeek day)
    {
        var index = text is null ? -1 : Array.IndexOf(DayNames, text);
        day = index < 0 ? IsoDayOfWeek.None : (IsoDayOfWeek)(index + 1);
        return index >= 0;
    }

    public static string DayToWire(IsoDayOfWeek day) =>
        day is >= IsoDayOfWeek.Monday and <= IsoDayOfWeek.Sunday ? DayNames[(int)day - 1] : throw new ArgumentOutOfRangeException(nameof(day));

    internal static string Show(JsonNode? node) => node is null ? "null" : node.ToJsonString(Display);

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static PolicyRule? ParseRule(string name, JsonNode? node, string path, SeedType? seedType,
                                         ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (node is not JsonObject rule)
        {
            problems.Add(new(path, $"expected a rule object with \"actions\", got {Show(node)}"));
            return null;
        }
        var before = problems.Count;
        foreach (var (field, _) in rule)
        {
            if (Array.IndexOf(RuleFields, field) < 0)
            {
                problems.Add(new($"{path}.{field}", $"unknown field, expected one of {string.Join(", ", RuleFields)}"));
            }
        }

        var actions = ImmutableArray.CreateBuilder<PolicyAction>();
        rule.TryGetPropertyValue("actions", out var actionsNode);
        if (actionsNode is null)
        {
            problems.Add(new($"{path}.actions", "required: a non-empty list of stage, activate, restart"));
        }
        else if (actionsNode is not JsonArray actionList)
        {
            problems.Add(new($"{path}.actions", $"expected a list of stage, activate, restart, got {Show(actionsNode)}"));
        }
        else if (actionList.Count == 0)
        {
            problems.Add(new($"{path}.actions", "must not be empty: list at least one of stage, activate, restart"));
        }
        else
        {
            for (var i = 0; i < actionList.Count; i++)
            {
                var text = StringOf(actionList[i]);
                if (!PolicyActions.TryParse(text, out var action))
                {
                    problems.Add(new($"{path}.actions[{i}]", $"unknown action {Show(actionList[i])}, expected one of stage, activate, restart"));
                }
                else if (seedType is { } type && !type.Supports(action))
                {
                    problems.Add(new($"{path}.actions[{i}]", UnsupportedAction(action, type)));
                }
                else
                {
                    actions.Add(action);
                }
            }
        }

        ImmutableArray<Trigger>? triggers = null;
        rule.TryGetPropertyValue("triggers", out var triggersNode);
        if (triggersNode is JsonArray triggerList)
        {
            var parsed = ImmutableArray.CreateBuilder<Trigger>();
            for (var i = 0; i < triggerList.Count; i++)
            {
                if (Triggers.TryParse(StringOf(triggerList[i]), out var trigger)) parsed.Add(trigger);
                else problems.Add(new($"{path}.triggers[{i}]", $"unknown trigger {Show(triggerList[i])}, expected one of manual, scheduled, realtime, poll_on_connect, recall"));
            }
            triggers = parsed.ToImmutable();
        }
        else if (triggersNode is not null)
        {
            problems.Add(new($"{path}.triggers", $"expected a list of manual, scheduled, realtime, poll_on_connect, recall, or null, got {Show(triggersNode)}"));
        }

        rule.TryGetPropertyValue("window", out var windowNode);
        var window = windowNode is null ? null : ParseWindow(windowNode, $"{path}.window", problems);

        var confirm = false;
        rule.TryGetPropertyValue("confirm", out var confirmNode);
        if (confirmNode is JsonValue confirmValue && confirmValue.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            confirm = confirmValue.GetValue<bool>();
        }
        else if (confirmNode is not null)
        {
            problems.Add(new($"{path}.confirm", $"expected true or false, got {Show(confirmNode)}"));
        }

        return problems.Count > before ? null : new PolicyRule(name, actions.ToImmutable(), triggers, window, confirm);
    }

    private static PolicyWindow? ParseWindow(JsonNode node, string path, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (node is not JsonObject window)
        {
            problems.Add(new(path, $"expected an object with time_start and time_end, got {Show(node)}"));
            return null;
        }
        var before = problems.Count;
        foreach (var (field, _) in window)
        {
            if (Array.IndexOf(WindowFields, field) < 0)
            {
                problems.Add(new($"{path}.{field}", $"unknown field, expected one of {string.Join(", ", WindowFields)}"));
            }
        }
        var start = ParseTimeField(window, "time_start", path, problems);
        var end = ParseTimeField(window, "time_end", path, problems);

        ImmutableArray<IsoDayOfWeek>? days = null;
        window.TryGetPropertyValue("days", out var daysNode);
        if (daysNode is JsonArray dayList)
        {
            var parsed = ImmutableArray.CreateBuilder<IsoDayOfWeek>();
            for (var i = 0; i < dayList.Count; i++)
            {
                if (TryParseDay(StringOf(dayList[i]), out var day)) parsed.Add(day);
                else problems.Add(new($"{path}.days[{i}]", $"unknown day {Show(dayList[i])}, expected one of {string.Join(", ", DayNames)}"));
            }
            days = parsed.ToImmutable();
        }
        else if (daysNode is not null)
        {
            problems.Add(new($"{path}.days", $"expected a list of {string.Join(", ", DayNames)}, or null, got {Show(daysNode)}"));
        }

        string? tz = null;
        window.TryGetPropertyValue("tz", out var tzNode);
        if (tzNode is not null)
        {
            tz = StringOf(tzNode);
            if (tz is null) problems.Add(new($"{path}.tz", $"expected an IANA time zone id such as \"Europe/Berlin\", got {Show(tzNode)}"));
            else if (!Zones.TryGet(tz, out _)) problems.Add(new($"{path}.tz", Zones.UnknownZone(tz)));
        }

        return problems.Count > before ? null : new PolicyWindow(start, end, days, tz);
    }

    private static LocalTime ParseTimeField(JsonObject window, string field, string path, ImmutableArray<ValidationProblem>.Builder problems)
    {
        window.TryGetPropertyValue(field, out var node);
        if (node is null)
        {
            problems.Add(new($"{path}.{field}", $"required: {ExpectedTime}"));
            return default;
        }
        if (!TryParseTime(StringOf(node), out var time))
        {
            problems.Add(new($"{path}.{field}", $"{ExpectedTime}, got {Show(node)}"));
        }
        return time;
    }

    internal static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
