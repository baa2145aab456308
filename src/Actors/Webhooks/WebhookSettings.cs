using System.Collections.Immutable;
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

    /// <summary>The webhooks of the server config file (<c>webhooks.hooks</c>), by name; the file owns them (README).</summary>
    public ImmutableArray<ConfiguredWebhook> Configured { get; init; } = [];

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

/// <summary>A webhook of the server config file: its <c>name</c> there, and the webhook (a sid derived from the name, so
/// pending deliveries keep their webhook across restarts; the secret read from its <c>secret_file</c>).</summary>
public sealed record ConfiguredWebhook(string Name, Webhook Webhook)
{
    /// <summary>Never the secret, should the options ever be logged.</summary>
    public override string ToString() => $"ConfiguredWebhook {{ Name = {Name}, Sid = {Webhook.Sid}, Url = {Webhook.Url} }}";
}
