using System.Collections.Immutable;
using NodaTime;

namespace Sower.Messages.Webhooks;

/// <summary>
/// What the garden-health check needs to know of one garden. <c>LastSeen</c> is its last contact (its registration when
/// it never connected); <c>FailureStreak</c> the sids of its latest deployments that failed one after the other, newest
/// first (failure, partial, rolled back, or stale), up to the first that did not.
/// </summary>
public sealed record GardenHealthSample(string Garden, string Name, bool Online, Instant LastSeen, ImmutableArray<string> FailureStreak);

/// <summary>
/// <c>StaleAfter</c>: offline for at least this long is stale (the server's <c>stale_after_seconds</c>, the console's
/// rule). <c>FailingAfter</c>: this many failed deployments in a row is failing (the console's rule: 2).
/// </summary>
public sealed record GardenHealthSettings(Duration StaleAfter, int FailingAfter)
{
    public static readonly GardenHealthSettings Default = new(Duration.FromSeconds(7200), 2);
}

/// <summary>The episodes already announced, per garden sid: the notification key of the current stale and failing episode.</summary>
public sealed record GardenHealthState(ImmutableDictionary<string, string> Stale, ImmutableDictionary<string, string> Failing)
{
    public static readonly GardenHealthState Empty = new(
        ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));
}

/// <summary>
/// <c>garden.stale</c> and <c>garden.failing</c> (issue 14.5), raised once per transition into the condition, never
/// per check: an episode starts when a garden becomes stale (offline for <c>StaleAfter</c>) or failing
/// (<c>FailingAfter</c> failed deployments in a row) and ends when it is seen again or a deployment does not fail.
/// (A stale episode ends only when the garden is online again, not when its last-seen instant moves.) The end is not
/// notified, and a new episode needs the full condition again, so a flapping garden cannot spam.
/// Keys are deterministic per episode — the instant last seen (stable once a garden is offline long enough to be stale),
/// or the first failed deployment of the streak — so a restarted checker, or one on another node, raises the same
/// key and the outbox delivers it once.
/// </summary>
public static class GardenHealthNotifications
{
    /// <summary>The payload names at most this many deployments of a streak (the newest).</summary>
    public const int MaxListed = 10;

    public static (GardenHealthState State, ImmutableArray<Notification> Raised) Check(
        GardenHealthState state, IEnumerable<GardenHealthSample> gardens, Instant now, GardenHealthSettings settings)
    {
        var stale = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var failing = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var raised = ImmutableArray.CreateBuilder<Notification>();
        foreach (var g in gardens)
        {
            if (!g.Online && g.LastSeen <= now - settings.StaleAfter)
            {
                if (state.Stale.TryGetValue(g.Garden, out var known)) stale[g.Garden] = known;
                else
                {
                    var key = $"{NotificationKinds.GardenStale}:{g.Garden}:{g.LastSeen.ToUnixTimeSeconds()}";
                    stale[g.Garden] = key;
                    var seen = InstantText(g.LastSeen);
                    raised.Add(Notification.Of(key, NotificationKinds.GardenStale, now,
                        $"garden {g.Name} is stale: not seen since {seen}", ("garden", g.Garden), ("garden_name", g.Name), ("last_seen", seen)));
                }
            }
            else if (!g.Online && state.Stale.TryGetValue(g.Garden, out var episode))
            {
                // Still offline, but its last-seen instant moved (the session's end recorded after the first look):
                // the same episode, which only a connection ends.
                stale[g.Garden] = episode;
            }
            if (settings.FailingAfter > 0 && g.FailureStreak.Length >= settings.FailingAfter)
            {
                if (state.Failing.TryGetValue(g.Garden, out var known)) failing[g.Garden] = known;
                else
                {
                    var key = $"{NotificationKinds.GardenFailing}:{g.Garden}:{g.FailureStreak[^1]}";
                    failing[g.Garden] = key;
                    raised.Add(Notification.Of(key, NotificationKinds.GardenFailing, now,
                        $"garden {g.Name} is failing: its last {g.FailureStreak.Length} deployments failed", ("garden", g.Garden), ("garden_name", g.Name),
                        ("deployments", string.Join(",", g.FailureStreak.Take(MaxListed)))));
                }
            }
        }
        return (new GardenHealthState(stale.ToImmutable(), failing.ToImmutable()), raised.ToImmutable());
    }

    private static string InstantText(Instant i) => NodaTime.Text.InstantPattern.ExtendedIso.Format(i);
}
