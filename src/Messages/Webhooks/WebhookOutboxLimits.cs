using NodaTime;

namespace Sower.Messages.Webhooks;

/// <summary>
/// The outbox bounds. Retry n (1-based) waits <c>FirstRetry · 2^(n-1)</c>, capped at <c>MaxRetry</c>; after
/// <c>MaxAttempts</c> failed attempts the entry is dead. The defaults retry for about a day:
/// 30 s, 1, 2, 4, 8, 16, 32 min, 1 h, 2 h, 4 h, then every 6 h up to 15 attempts.
/// </summary>
public sealed record WebhookOutboxLimits
{
    public int MaxAttempts { get; init; } = 15;
    public Duration FirstRetry { get; init; } = Duration.FromSeconds(30);
    public Duration MaxRetry { get; init; } = Duration.FromHours(6);

    /// <summary>Pending entries over all webhooks; a notification arriving when full goes straight to the dead list.</summary>
    public int MaxPending { get; init; } = 10_000;

    /// <summary>Dead entries kept for inspection (oldest dropped first).</summary>
    public int MaxDead { get; init; } = 200;

    /// <summary>Delivery ids remembered after delivery, so a notification raised again is not sent again.</summary>
    public int RememberedDeliveries { get; init; } = 10_000;

    public int MaxWebhooks { get; init; } = 50;

    public static readonly WebhookOutboxLimits Default = new();

    /// <summary>The wait after the given failed attempt (1-based).</summary>
    public Duration Backoff(int failedAttempt)
    {
        var wait = FirstRetry;
        for (var i = 1; i < failedAttempt && wait < MaxRetry; i++) wait += wait;
        return wait < MaxRetry ? wait : MaxRetry;
    }
}
