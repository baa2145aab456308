using Sower.Messages.Webhooks;

namespace Sower.Actors.Webhooks;

/// <summary>How the outbox delivers. <c>Handler</c> lets tests (and a later proxy option) supply the HTTP stack;
/// by default a SocketsHttpHandler that never follows redirects.</summary>
public sealed record WebhookSettings
{
    public WebhookOutboxLimits Limits { get; init; } = WebhookOutboxLimits.Default;

    /// <summary>One attempt, connect to last header byte; a receiver slower than this counts as failed and is retried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the outbox looks for due retries (new notifications are sent at once).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public int SnapshotEvery { get; init; } = 200;

    public Func<HttpMessageHandler>? Handler { get; init; }

    public static readonly WebhookSettings Default = new();

    internal HttpMessageHandler CreateHandler() => Handler?.Invoke() ?? new SocketsHttpHandler
    {
        // A redirect could point a delivery anywhere; the configured URL is the only one ever called.
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = AttemptTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };
}
