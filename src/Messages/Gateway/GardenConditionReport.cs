using System.Collections.Immutable;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Gateway;

/// <summary>
/// <c>garden:condition:report</c> (garden → server): the garden's own sid, and its pending reboot and drift (each null
/// when there is none). <c>{"garden_sid","reboot_pending":{"system","reason","since"}|null,"drift":{"expected","running","detail","since"}|null}</c>.
/// </summary>
public sealed record GardenConditionMessage(string? GardenSid, RebootPendingMessage? RebootPending, DriftMessage? Drift) : IGatewayRequest;

public sealed record RebootPendingMessage(string? System, string? Reason, string? Since);

public sealed record DriftMessage(string? Expected, string? Running, string? Detail, string? Since);

/// <summary>Builds and checks the condition report; the same rules on both sides, so a garden never sends what the server refuses.</summary>
public static class GardenConditionReport
{
    public const string Method = "garden:condition:report";
    public const int MaxDetailLength = 300;

    /// <summary>Times more than this far in the future are refused (clock skew is tolerated, nonsense is not).</summary>
    public static readonly Duration MaxFutureSkew = Duration.FromHours(1);

    /// <summary>The report the garden sends (times ISO-8601, as <see cref="Validate"/> reads them).</summary>
    public static GardenConditionMessage Message(string gardenSid, RebootPending? pending, Drift? drift) => new(
        gardenSid,
        pending is null ? null : new RebootPendingMessage(pending.System, pending.Reason, InstantPattern.ExtendedIso.Format(pending.Since)),
        drift is null ? null : new DriftMessage(drift.Expected, drift.Running, drift.Detail, InstantPattern.ExtendedIso.Format(drift.Since)));

    /// <summary>The report's payload on the wire.</summary>
    public static JsonObject Payload(string gardenSid, RebootPending? pending, Drift? drift) => GatewayRequests.ToPayload(Message(gardenSid, pending, drift));

    /// <summary>
    /// Checks a report against the garden that sent it: its sid must be the sender's, paths must be store paths, the
    /// reason one of <see cref="HostConditionRules.Reasons"/>, the detail short printable text, times ISO-8601 and not in the future.
    /// </summary>
    public static (RebootPending? Pending, Drift? Drift, ImmutableArray<ValidationProblem> Problems) Validate(GardenConditionMessage message, GardenId sender, Instant now)
    {
        var problems = ImmutableArray.CreateBuilder<ValidationProblem>();
        if (message.GardenSid != sender.Value) problems.Add(new("garden_sid", "must be the sid of the garden sending the report"));
        RebootPending? pending = null;
        if (message.RebootPending is { } p)
        {
            if (StorePath.Validate(p.System) is { } e) problems.Add(new("reboot_pending.system", e));
            if (p.Reason is null || !HostConditionRules.Reasons.Contains(p.Reason))
            {
                problems.Add(new("reboot_pending.reason", "must be one of " + string.Join(", ", HostConditionRules.Reasons)));
            }
            var since = Time(p.Since, "reboot_pending.since", now, problems);
            if (problems.Count == 0) pending = new RebootPending(p.System!, p.Reason!, since);
        }
        Drift? drift = null;
        if (message.Drift is { } d)
        {
            var before = problems.Count;
            if (StorePath.Validate(d.Expected) is { } e) problems.Add(new("drift.expected", e));
            if (d.Running is not null && StorePath.Validate(d.Running) is { } r) problems.Add(new("drift.running", r));
            if (string.IsNullOrWhiteSpace(d.Detail) || d.Detail.Length > MaxDetailLength || d.Detail.Any(char.IsControl))
            {
                problems.Add(new("drift.detail", $"required: one line of at most {MaxDetailLength} printable characters"));
            }
            var since = Time(d.Since, "drift.since", now, problems);
            if (problems.Count == before) drift = new Drift(d.Expected!, d.Running, d.Detail!, since);
        }
        return problems.Count == 0 ? (pending, drift, []) : (null, null, problems.ToImmutable());
    }

    private static Instant Time(string? text, string path, Instant now, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var parsed = InstantPattern.ExtendedIso.Parse(text ?? "");
        if (!parsed.Success) { problems.Add(new(path, "required: an ISO-8601 UTC time")); return default; }
        if (parsed.Value > now + MaxFutureSkew) { problems.Add(new(path, "must not be in the future")); return default; }
        return parsed.Value;
    }
}
