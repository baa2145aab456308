using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sower.Activator;

/// <summary>The states of a rollback deadline; only <see cref="Armed"/> ever changes again.</summary>
public static class RollbackStates
{
    public const string Armed = "armed";
    public const string Confirmed = "confirmed";
    public const string RolledBack = "rolled_back";
    public const string RollbackFailed = "rollback_failed";
    public const string Superseded = "superseded";

    public static bool Fired(string state) => state is RolledBack or RollbackFailed;
}

/// <summary>
/// One armed rollback deadline, persisted as <c>&lt;rollback_state_dir&gt;/&lt;id&gt;.json</c> (format version 1): what was
/// switched, what to go back to, and until when the garden may confirm. <see cref="DeadlineAtUnixMs"/> is null while a
/// boot-mode deadline waits for the boot it runs from.
/// </summary>
public sealed record RollbackDeadline
{
    public const int CurrentVersion = 1;
    public const string NixosKind = "nixos";
    public const string HomeManagerKind = "home-manager";

    public int Version { get; init; } = CurrentVersion;
    public required string Id { get; init; }
    public required string Deployment { get; init; }
    public required string Kind { get; init; }
    /// <summary>switch or boot (nixos); activate (home-manager).</summary>
    public required string Mode { get; init; }
    public string? User { get; init; }
    public uint? UserUid { get; init; }
    public string? Profile { get; init; }
    public required string NewPath { get; init; }
    public int? NewGeneration { get; init; }
    public required string PreviousPath { get; init; }
    public int? PreviousGeneration { get; init; }
    /// <summary>The profile's raw link target before the switch, for a profile that was not a generation link.</summary>
    public string? PreviousLink { get; init; }
    public required uint ArmedByUid { get; init; }
    public required int TimeoutSeconds { get; init; }
    public required long ArmedAtUnixMs { get; init; }
    public long? DeadlineAtUnixMs { get; init; }
    /// <summary>A boot-mode switch: the deadline runs from the next boot, and a rollback reboots into the previous generation.</summary>
    public bool FromBoot { get; init; }
    public string State { get; init; } = RollbackStates.Armed;
    public long? SettledAtUnixMs { get; init; }
    public string? Reason { get; init; }
    /// <summary>Set (and saved) before the rollback's reboot command runs: a deployment reboots for a rollback at most once.</summary>
    public bool RebootRequested { get; init; }
    /// <summary>The timer that fires it: a systemd unit name or <c>pid N</c>.</summary>
    public string? Timer { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a deadline file; null when it is not one (never throws on bad content).</summary>
    public static RollbackDeadline? FromJson(string text)
    {
        try
        {
            var d = JsonSerializer.Deserialize<RollbackDeadline>(text, Json);
            return d is { Version: CurrentVersion } ? d : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The file name of a deadline: the deployment (already a validated name) and what it switched.</summary>
    public static string IdFor(string deployment, string kind, uint? userUid) =>
        kind == NixosKind ? deployment + ".system" : deployment + ".home-" + userUid?.ToString(CultureInfo.InvariantCulture);

    /// <summary>Two deadlines guard the same thing when they would roll back the same profile.</summary>
    public bool SameTarget(RollbackDeadline other) => Kind == other.Kind && UserUid == other.UserUid && Profile == other.Profile;
}

/// <summary>What a confirm request does to one deadline.</summary>
public enum ConfirmOutcome { Confirmed, AlreadyConfirmed, Superseded, RolledBack, NotYetBooted, NotYours }

/// <summary>The pure decisions of magic rollback: capping, arming over older deadlines, confirming, firing, resuming at boot.</summary>
public static class RollbackRules
{
    /// <summary>The effective timeout: the request's, never above the operator's maximum; 0 (or a maximum of 0) means none.</summary>
    public static int EffectiveTimeout(int? requested, ActivatorConfig config) =>
        requested is > 0 && config.MaxConfirmTimeoutSeconds > 0 ? Math.Min(requested.Value, config.MaxConfirmTimeoutSeconds) : 0;

    /// <summary>
    /// Arms <paramref name="fresh"/> over the deadlines already on disk. An armed one of the same target is superseded, and the
    /// fresh one goes back to what *it* would have gone back to (the last confirmed generation, not an unconfirmed one). A
    /// deployment whose deadline for this target already fired is never armed again (no rollback/reboot loop): null.
    /// </summary>
    public static (RollbackDeadline? Armed, IReadOnlyList<RollbackDeadline> Superseded) Arm(RollbackDeadline fresh, IEnumerable<RollbackDeadline> existing, long nowMs)
    {
        var all = existing.ToList();
        if (all.Any(d => d.Id == fresh.Id && RollbackStates.Fired(d.State))) return (null, []);
        var superseded = new List<RollbackDeadline>();
        var armed = fresh;
        foreach (var old in all.Where(d => d.State == RollbackStates.Armed && d.Id != fresh.Id && d.SameTarget(fresh)).OrderBy(d => d.ArmedAtUnixMs))
        {
            superseded.Add(old with { State = RollbackStates.Superseded, SettledAtUnixMs = nowMs, Reason = $"superseded by deployment {fresh.Deployment}" });
            armed = armed with { PreviousPath = old.PreviousPath, PreviousGeneration = old.PreviousGeneration, PreviousLink = old.PreviousLink };
        }
        // The same deployment switching the same target again (a retry) keeps the generation it first went back to.
        if (all.FirstOrDefault(d => d.Id == fresh.Id && d.State == RollbackStates.Armed) is { } again)
        {
            armed = armed with { PreviousPath = again.PreviousPath, PreviousGeneration = again.PreviousGeneration, PreviousLink = again.PreviousLink };
        }
        return (armed, superseded);
    }

    /// <summary>A confirm by <paramref name="callerUid"/> (root may confirm any): the outcome and the deadline to save, if it changed.</summary>
    public static (ConfirmOutcome Outcome, RollbackDeadline? Updated) Confirm(RollbackDeadline d, uint callerUid, long nowMs)
    {
        if (callerUid != 0 && callerUid != d.ArmedByUid) return (ConfirmOutcome.NotYours, null);
        return d.State switch
        {
            RollbackStates.Confirmed => (ConfirmOutcome.AlreadyConfirmed, null),
            RollbackStates.Superseded => (ConfirmOutcome.Superseded, null),
            RollbackStates.Armed when d.DeadlineAtUnixMs is null => (ConfirmOutcome.NotYetBooted, null),
            RollbackStates.Armed => (ConfirmOutcome.Confirmed, d with { State = RollbackStates.Confirmed, SettledAtUnixMs = nowMs, Reason = "confirmed by the garden after it reached its server" }),
            _ => (ConfirmOutcome.RolledBack, null),
        };
    }

    /// <summary>At boot: a boot-mode deadline starts its full timeout now; every other armed one keeps its wall-clock deadline.</summary>
    public static RollbackDeadline? StartAtBoot(RollbackDeadline d, long nowMs) =>
        d.State == RollbackStates.Armed && d.DeadlineAtUnixMs is null ? d with { DeadlineAtUnixMs = nowMs + d.TimeoutSeconds * 1000L } : null;

    /// <summary>How long the timer still waits (zero when due); null when there is nothing to wait for.</summary>
    public static TimeSpan? Remaining(RollbackDeadline d, long nowMs) =>
        d.State != RollbackStates.Armed || d.DeadlineAtUnixMs is not { } at ? null : TimeSpan.FromMilliseconds(Math.Max(0, at - nowMs));

    /// <summary>
    /// Whether a due deadline really rolls back: only while the profile still holds the generation it guards. A profile that
    /// moved on (an operator's switch by hand, another tool) is left alone: rolling back would undo someone else's change.
    /// </summary>
    public static string? WhyNotRollBack(RollbackDeadline d, string? profileTarget) =>
        d.Kind == RollbackDeadline.NixosKind && profileTarget != d.NewPath
            ? $"the system profile no longer points at {d.NewPath} (it points at {profileTarget ?? "nothing"}): someone switched since; not rolled back"
            : null;

    /// <summary>The reason recorded for a rollback the deadline fired.</summary>
    public static string FiredReason(RollbackDeadline d) =>
        $"no confirmation from the garden within {d.TimeoutSeconds}s " + (d.FromBoot ? "of booting " : "of switching to ") + d.NewPath
        + $"; rolled back to {d.PreviousPath}" + (d.PreviousGeneration is { } g ? $" (generation {g})" : "") + (d.FromBoot ? " and rebooted into it" : "");
}
