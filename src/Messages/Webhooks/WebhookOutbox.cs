using System.Collections.Immutable;
using NodaTime;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookEvents;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Messages.Webhooks;

/// <summary>The outcome of a configuration command: events to persist, or an error to reply.</summary>
public sealed record WebhookDecision(ImmutableArray<IWebhookEvent> Events, WebhookError? Error);

/// <summary>
/// The pure webhook outbox: the configured webhooks, the pending deliveries and the dead ones, and the delivery ids
/// already handled (bounded), so a notification raised twice is delivered once per webhook. Every change is an event;
/// <see cref="Apply"/> is the only way state changes, so replaying the journal after a crash rebuilds exactly this.
/// Delivery is at least once: an attempt in flight when the process dies is simply due again after the restart.
/// </summary>
public sealed record WebhookOutbox(
    ImmutableSortedDictionary<string, Webhook> Webhooks,
    ImmutableSortedDictionary<string, OutboxEntry> Pending,
    ImmutableList<OutboxEntry> Dead,
    ImmutableHashSet<string> Handled,
    ImmutableQueue<string> HandledOrder)
{
    public static readonly WebhookOutbox Empty = new(
        ImmutableSortedDictionary<string, Webhook>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, OutboxEntry>.Empty.WithComparers(StringComparer.Ordinal),
        [],
        ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal),
        []);

    public static string DeliveryIdOf(string webhookSid, string key) => webhookSid + "/" + key;

    /// <summary>
    /// The webhooks of the server config file (sid → its name there). They live in memory only: never in an event or
    /// the snapshot (their secret stays in its file), and every start puts the file's current set back
    /// (<see cref="WithConfigured"/>). The file owns them: the API lists them but cannot remove them.
    /// </summary>
    public ImmutableSortedDictionary<string, string> Configured { get; init; } = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public ImmutableArray<WebhookView> List() => [.. Webhooks.Values.Select(w => w.ToView() with { ConfigName = Configured.GetValueOrDefault(w.Sid) })];

    /// <summary>Replaces the config file's webhooks with <paramref name="configured"/> (name, webhook); the API's stay as they are.</summary>
    public WebhookOutbox WithConfigured(IEnumerable<(string Name, Webhook Webhook)> configured)
    {
        var list = configured.ToList();
        return this with
        {
            Webhooks = Webhooks.RemoveRange(Configured.Keys).SetItems(list.Select(c => KeyValuePair.Create(c.Webhook.Sid, c.Webhook))),
            Configured = Configured.Clear().SetItems(list.Select(c => KeyValuePair.Create(c.Webhook.Sid, c.Name))),
        };
    }

    /// <summary>Webhooks that still have pending deliveries but no longer exist (one removed from the config file while the
    /// server was down): each gets a <see cref="WebhookRemoved"/>, which drops those deliveries.</summary>
    public ImmutableArray<string> Orphans() =>
        [.. Pending.Values.Select(p => p.WebhookSid).Where(sid => !Webhooks.ContainsKey(sid)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public WebhookOutboxStatus Status(int shown = 100) => new(
        Pending.Count, [.. Pending.Values.OrderBy(e => e.NextAttemptAt).ThenBy(e => e.DeliveryId, StringComparer.Ordinal).Take(shown)],
        Dead.Count, [.. Dead.Reverse().Take(shown)]);

    public WebhookDecision Decide(AddWebhook cmd, string newSid, Instant now, WebhookOutboxLimits limits)
    {
        var problems = WebhookRules.Validate(cmd.Url, cmd.Secret, cmd.Events, cmd.Format.ToWire());
        if (problems.Length > 0) return new([], new WebhookError(WebhookErrorCodes.Invalid, problems));
        if (Webhooks.Count >= limits.MaxWebhooks)
        {
            return new([], new WebhookError(WebhookErrorCodes.TooMany, [$"webhooks: at most {limits.MaxWebhooks}; remove one first"]));
        }
        var events = cmd.Events.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        return new([new WebhookAdded(new Webhook(newSid, cmd.Url, cmd.Secret, events, cmd.Format, now), cmd.By)], null);
    }

    public WebhookDecision Decide(RemoveWebhook cmd) =>
        Configured.TryGetValue(cmd.Sid, out var name)
            ? new([], new WebhookError(WebhookErrorCodes.Configured,
                [$"webhook {cmd.Sid} comes from the server config file (webhooks.hooks, name \"{name}\"): remove it there and restart the server"]))
            : Webhooks.ContainsKey(cmd.Sid) ? new([new WebhookRemoved(cmd.Sid, cmd.By)], null) : new([], NotFound);

    /// <summary>A test notification for one webhook; its key is unique per request so every test is sent.</summary>
    public WebhookDecision Decide(TestWebhook cmd, string requestId, Instant now, WebhookOutboxLimits limits)
    {
        if (!Webhooks.ContainsKey(cmd.Sid)) return new([], NotFound);
        var test = Notification.Of($"{NotificationKinds.Test}:{requestId}", NotificationKinds.Test, now,
            "test notification from sower", ("webhook", cmd.Sid));
        return new(Enqueue(test, [cmd.Sid], now, limits), null);
    }

    /// <summary>One <see cref="NotificationEnqueued"/> per webhook subscribed to the kind, unless that delivery is
    /// already pending or handled; when the outbox is full, the new entry goes straight to the dead list.</summary>
    public ImmutableArray<IWebhookEvent> Raise(Notification n, Instant now, WebhookOutboxLimits limits) =>
        Enqueue(n, Webhooks.Values.Where(w => w.Events.Contains(n.Kind)).Select(w => w.Sid), now, limits);

    private ImmutableArray<IWebhookEvent> Enqueue(Notification n, IEnumerable<string> webhookSids, Instant now, WebhookOutboxLimits limits)
    {
        var events = ImmutableArray.CreateBuilder<IWebhookEvent>();
        var pending = Pending.Count;
        foreach (var sid in webhookSids)
        {
            var id = DeliveryIdOf(sid, n.Key);
            if (Pending.ContainsKey(id) || Handled.Contains(id)) continue;
            events.Add(new NotificationEnqueued(id, sid, n, now));
            if (pending >= limits.MaxPending) events.Add(new DeliveryGaveUp(id, $"outbox full ({limits.MaxPending} pending)", now));
            else pending++;
        }
        return events.ToImmutable();
    }

    /// <summary>The outcome of one attempt: delivered, retry later with backoff, or dead after the last attempt.
    /// Empty when the entry is no longer pending (its webhook was removed meanwhile).</summary>
    public ImmutableArray<IWebhookEvent> AttemptFinished(string deliveryId, string? error, Instant now, WebhookOutboxLimits limits)
    {
        if (!Pending.TryGetValue(deliveryId, out var entry)) return [];
        var attempt = entry.Attempts + 1;
        if (error is null) return [new NotificationDelivered(deliveryId, attempt, now)];
        if (attempt >= limits.MaxAttempts)
        {
            return [new DeliveryAttemptFailed(deliveryId, attempt, error, now, now), new DeliveryGaveUp(deliveryId, $"gave up after {attempt} attempts: {error}", now)];
        }
        return [new DeliveryAttemptFailed(deliveryId, attempt, error, now, now + limits.Backoff(attempt))];
    }

    /// <summary>What to send now: per webhook at most one entry (the oldest due one), skipping webhooks with an
    /// attempt in flight, so a slow or hanging receiver holds back only its own deliveries.</summary>
    public ImmutableArray<OutboxEntry> Due(Instant now, IReadOnlySet<string> webhooksInFlight) =>
    [
        .. Pending.Values
            .Where(e => e.NextAttemptAt <= now && !webhooksInFlight.Contains(e.WebhookSid) && Webhooks.ContainsKey(e.WebhookSid))
            .GroupBy(e => e.WebhookSid)
            .Select(g => g.OrderBy(e => e.EnqueuedAt).ThenBy(e => e.DeliveryId, StringComparer.Ordinal).First()),
    ];

    public WebhookOutbox Apply(IWebhookEvent evt, WebhookOutboxLimits limits) => evt switch
    {
        WebhookAdded e => this with { Webhooks = Webhooks.SetItem(e.Webhook.Sid, e.Webhook) },
        // Its pending deliveries go with it: nobody is left to receive them.
        WebhookRemoved e => this with
        {
            Webhooks = Webhooks.Remove(e.Sid),
            Pending = Pending.RemoveRange(Pending.Values.Where(p => p.WebhookSid == e.Sid).Select(p => p.DeliveryId).ToList()),
        },
        NotificationEnqueued e => this with
        {
            Pending = Pending.SetItem(e.DeliveryId, new OutboxEntry(e.DeliveryId, e.WebhookSid, e.Notification, e.At, 0, e.At, null, null)),
        },
        DeliveryAttemptFailed e when Pending.TryGetValue(e.DeliveryId, out var entry) => this with
        {
            Pending = Pending.SetItem(e.DeliveryId, entry with { Attempts = e.Attempt, NextAttemptAt = e.NextAttemptAt, LastError = e.Error }),
        },
        NotificationDelivered e when Pending.ContainsKey(e.DeliveryId) => (this with { Pending = Pending.Remove(e.DeliveryId) }).Remember(e.DeliveryId, limits),
        DeliveryGaveUp e when Pending.TryGetValue(e.DeliveryId, out var entry) => (this with
        {
            Pending = Pending.Remove(e.DeliveryId),
            Dead = Trim(Dead.Add(entry with { GaveUpAt = e.At, LastError = e.Reason }), limits.MaxDead),
        }).Remember(e.DeliveryId, limits),
        _ => this,
    };

    private WebhookOutbox Remember(string deliveryId, WebhookOutboxLimits limits)
    {
        if (Handled.Contains(deliveryId)) return this;
        var handled = Handled.Add(deliveryId);
        var order = HandledOrder.Enqueue(deliveryId);
        while (handled.Count > limits.RememberedDeliveries)
        {
            order = order.Dequeue(out var oldest);
            handled = handled.Remove(oldest);
        }
        return this with { Handled = handled, HandledOrder = order };
    }

    private static ImmutableList<OutboxEntry> Trim(ImmutableList<OutboxEntry> dead, int max) => dead.Count > max ? dead.RemoveRange(0, dead.Count - max) : dead;

    private static readonly WebhookError NotFound = new(WebhookErrorCodes.NotFound, ["not found"]);

    /// <summary>The snapshot form: plain arrays, in the order that rebuilds the same state.</summary>
    public WebhookOutboxSnapshot ToSnapshot() => new([.. Webhooks.Values.Where(w => !Configured.ContainsKey(w.Sid))], [.. Pending.Values], [.. Dead], [.. HandledOrder]);

    public static WebhookOutbox FromSnapshot(WebhookOutboxSnapshot s) => Empty with
    {
        Webhooks = Empty.Webhooks.SetItems(s.Webhooks.Select(w => KeyValuePair.Create(w.Sid, w))),
        Pending = Empty.Pending.SetItems(s.Pending.Select(p => KeyValuePair.Create(p.DeliveryId, p))),
        Dead = [.. s.Dead],
        Handled = Empty.Handled.Union(s.Handled),
        HandledOrder = ImmutableQueue.CreateRange(s.Handled),
    };
}

/// <summary>The persisted snapshot of <see cref="WebhookOutbox"/>.</summary>
public sealed record WebhookOutboxSnapshot(
    ImmutableArray<Webhook> Webhooks, ImmutableArray<OutboxEntry> Pending, ImmutableArray<OutboxEntry> Dead, ImmutableArray<string> Handled) : IWebhookMessage;
