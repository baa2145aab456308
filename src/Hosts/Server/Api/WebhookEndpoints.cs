using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using Sower.Actors.Webhooks;
using Sower.Messages.Tokens;
using Sower.Messages.Webhooks;
using Sower.Server.Auth;
using Sower.Server.Configuration;
using static Sower.Messages.Webhooks.WebhookCommands;
using static Sower.Messages.Webhooks.WebhookQueries;
using static Sower.Messages.Webhooks.WebhookReplies;

namespace Sower.Server.Api;

public sealed record WebhookWire(string Sid, string Url, IReadOnlyList<string> Events, string Format, string CreatedAt, bool SecretSet)
{
    /// <summary>"config" for a webhook of the server config file (which owns it: the API cannot remove it), else "api".</summary>
    public string Source { get; init; } = "api";

    /// <summary>Its name in the config file; absent for API webhooks.</summary>
    public string? Name { get; init; }
}

/// <summary>The secret travels only in this request body; it is never returned.</summary>
public sealed record WebhookBody(string? Url, string? Secret, IReadOnlyList<string>? Events, string? Format);

public sealed record WebhookTestWire(string Sid, string IdempotencyKey);

public sealed record OutboxEntryWire(string WebhookSid, string IdempotencyKey, string Event, string Summary, string EnqueuedAt, int Attempts,
    string NextAttemptAt, string? LastError, string? GaveUpAt);

/// <summary><c>pending</c> is the outbox depth; <c>dead</c> the deliveries given up (newest first, bounded).</summary>
public sealed record WebhookOutboxWire(int Pending, IReadOnlyList<OutboxEntryWire> PendingEntries, int Dead, IReadOnlyList<OutboxEntryWire> DeadEntries);

/// <summary>Notification webhooks (issue 14.5): admin only, every endpoint.</summary>
public static class WebhookEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The outbox's delivery settings from the server options (the <c>webhooks</c> section).</summary>
    public static WebhookSettings Settings(ServerOptions options) => new()
    {
        Limits = WebhookOutboxLimits.Default with
        {
            FirstRetry = Duration.FromSeconds(options.Webhooks.FirstRetrySeconds),
            MaxAttempts = options.Webhooks.MaxAttempts,
        },
        AttemptTimeout = TimeSpan.FromSeconds(options.Webhooks.TimeoutSeconds),
        Configured = options.Webhooks.Hooks,
    };

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/api/v1/webhooks").WithTags("webhooks").RequireAuthorization(Roles.Admin);
        hooks.MapGet("", List).Produces<IReadOnlyList<WebhookWire>>().WithSummary("List the webhooks (never their secrets)");
        hooks.MapPost("", Create).Accepts<WebhookBody>("application/json")
            .Produces<WebhookWire>(201).Produces<ErrorWire>(409).Produces<ErrorWire>(422).WithSummary("Add a webhook");
        hooks.MapDelete("/{sid}", Delete).Produces(204).Produces<ErrorWire>(404).WithSummary("Remove a webhook and its pending deliveries");
        hooks.MapPost("/{sid}/test", Test).Produces<WebhookTestWire>(202).Produces<ErrorWire>(404).WithSummary("Send a webhook.test notification");
        hooks.MapGet("/outbox", Outbox).Produces<WebhookOutboxWire>().WithSummary("The outbox depth, pending and dead deliveries");
    }

    private static async Task<IResult> List(IRequiredActor<WebhookOutboxActorKey> outbox)
    {
        var list = await outbox.ActorRef.Ask<WebhookList>(GetWebhooks.Instance, AskTimeout);
        return ApiWire.Ok(list.Webhooks.Select(Wire).ToList());
    }

    private static async Task<IResult> Create(HttpContext http, IRequiredActor<WebhookOutboxActorKey> outbox)
    {
        var (body, error) = await ApiWire.ReadBody<WebhookBody>(http);
        if (error is not null) return error;
        var problems = WebhookRules.Validate(body!.Url, body.Secret, body.Events, body.Format);
        if (problems.Length > 0) return ApiWire.Error(422, "invalid webhook", problems);
        WebhookRules.TryParseFormat(body.Format, out var format);
        return Reply(await outbox.ActorRef.Ask(new AddWebhook(body.Url!, body.Secret!, [.. body.Events!], format, http.User.AuditActor()), AskTimeout), 201);
    }

    private static async Task<IResult> Delete(string sid, System.Security.Claims.ClaimsPrincipal user, IRequiredActor<WebhookOutboxActorKey> outbox)
    {
        if (!Messages.Domain.Sid.IsValid(sid, Webhook.Prefix)) return ApiWire.NotFound();
        return Reply(await outbox.ActorRef.Ask(new RemoveWebhook(sid, user.AuditActor()), AskTimeout), 204);
    }

    private static async Task<IResult> Test(string sid, System.Security.Claims.ClaimsPrincipal user, IRequiredActor<WebhookOutboxActorKey> outbox)
    {
        if (!Messages.Domain.Sid.IsValid(sid, Webhook.Prefix)) return ApiWire.NotFound();
        return Reply(await outbox.ActorRef.Ask(new TestWebhook(sid, user.AuditActor()), AskTimeout), 202);
    }

    private static async Task<IResult> Outbox(IRequiredActor<WebhookOutboxActorKey> outbox)
    {
        var status = await outbox.ActorRef.Ask<WebhookOutboxStatus>(GetWebhookOutboxStatus.Instance, AskTimeout);
        return ApiWire.Ok(new WebhookOutboxWire(status.Pending, [.. status.PendingEntries.Select(Wire)], status.Dead, [.. status.DeadEntries.Select(Wire)]));
    }

    private static IResult Reply(object reply, int status) => reply switch
    {
        WebhookSaved saved => ApiWire.Ok(Wire(saved.Webhook), status),
        WebhookRemovalConfirmed => Results.NoContent(),
        WebhookTestQueued queued => ApiWire.Ok(new WebhookTestWire(queued.Sid, queued.Key), status),
        WebhookError { Code: WebhookErrorCodes.NotFound } => ApiWire.NotFound(),
        WebhookError { Code: WebhookErrorCodes.TooMany } e => ApiWire.Error(409, "too many webhooks", e.Errors),
        WebhookError { Code: WebhookErrorCodes.Configured } e => ApiWire.Error(409, "webhook_from_config_file", e.Errors, message: e.Errors.FirstOrDefault()),
        WebhookError e => ApiWire.Error(422, "invalid webhook", e.Errors),
        _ => ApiWire.Unavailable(),
    };

    private static WebhookWire Wire(WebhookView w) => new(w.Sid, w.Url, w.Events, w.Format.ToWire(), ApiWire.Time(w.CreatedAt), SecretSet: true)
    {
        Source = w.ConfigName is null ? "api" : "config",
        Name = w.ConfigName,
    };

    private static OutboxEntryWire Wire(OutboxEntry e) => new(e.WebhookSid, e.Notification.Key, e.Notification.Kind, e.Notification.Summary,
        ApiWire.Time(e.EnqueuedAt), e.Attempts, ApiWire.Time(e.NextAttemptAt), e.LastError, ApiWire.Time(e.GaveUpAt));
}
