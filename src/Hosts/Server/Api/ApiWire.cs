using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Server.Api;

// The JSON shapes of the REST API (REFERENCE §6.14), snake_case.

public sealed record TagWire(string Key, string Value);

/// <summary>Wire Seed: {sid, name, seed_type, artifact, tags:[{key,value}]} plus recency and creation time.</summary>
public sealed record SeedWire(string Sid, string Name, string SeedType, string Artifact, IReadOnlyList<TagWire> Tags, string Recency, string CreatedAt, bool Retired,
    bool Recalled = false, string? RecallReason = null, string? RecalledAt = null, string? RecalledBy = null);

public sealed record PageWire<T>(IReadOnlyList<T> Items, int Page, int PerPage, int Total);

public sealed record SubmitSeedBody(string? Name, string? SeedType, string? Artifact, IReadOnlyList<TagWire>? Tags);

/// <param name="CurrentCredential">The garden's current credential: proves it is the same garden, so a known host re-binds at once.</param>
public sealed record RegisterGardenBody(string? Name, string? HostIdentifier, string? Version, string? CurrentCredential = null);

/// <summary>202 to a re-enrollment without proof: it waits for an admin; poll <c>…/enrollments/{enrollment_sid}/claim</c> with the claim.</summary>
public sealed record EnrollmentPendingWire(string Status, string Sid, string EnrollmentSid, string Claim, string ExpiresAt, string Message);

public sealed record ClaimEnrollmentBody(string? GardenSid, string? Claim);

public sealed record EnrollmentWire(string Sid, string GardenSid, string? GardenName, string Name, string? Version, string RequestedBy, string RequestedAt,
    string ExpiresAt, string Status);

public sealed record EnrollmentDecisionWire(string Sid, string GardenSid, string Status);

public sealed record DeletedGardenWire(string Sid, string Name, string DeletedBy, string DeletedAt);

public sealed record GardenEnrolledWire(string Sid, string Name, string Credential, bool Rebound);

public sealed record SubscriptionWire(string Sid, string Name, string SeedName, string SeedType, JsonElement Rules, string? Schedule, string? Timezone,
    JsonElement Policy, string UpdatedAt);

public sealed record GenerationWire(string ProfilePath, string SeedSid, string Artifact, string Link, string Created, int? GenerationNumber, bool IsCurrent);

public sealed record DeploymentListItemWire(string Sid, string GardenSid, string? GardenName, string State, string? Result, string Trigger, string Reason,
    bool Approved, string CreatedAt, string? DeployedAt, string? Parent, int RetryOrdinal, IReadOnlyList<string> Subscriptions);

public sealed record GardenListItemWire(string Sid, string Name, bool Online, string? Version, string? LastSeen, string CreatedAt,
    DeploymentListItemWire? LatestDeployment,
    RebootPendingWire? RebootPending = null, DriftWire? Drift = null)
{
    /// <summary>The effective labels (issue 14.1): server-side ones win over the garden's own.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Whether the garden reported an inhibition (issue 14.4); absent when the reboot lock table did not answer.</summary>
    public bool? Inhibited { get; init; }

    /// <summary>Why and since when, while inhibited.</summary>
    public GardenInhibitionStateWire? Inhibition { get; init; }
}

public sealed record GardenDetailWire(string Sid, string Name, bool Online, string? OnlineAt, string? Version, string? LastSeen, string CreatedAt,
    IReadOnlyList<SubscriptionWire> Subscriptions, IReadOnlyList<GenerationWire> Generations, DeploymentListItemWire? LatestDeployment,
    RebootPendingWire? RebootPending = null, DriftWire? Drift = null)
{
    /// <summary>The effective labels (issue 14.1): server-side ones win over the garden's own.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The labels of the garden's config file.</summary>
    public IReadOnlyDictionary<string, string>? OwnLabels { get; init; }

    /// <summary>The labels an admin set on the server.</summary>
    public IReadOnlyDictionary<string, string>? AdminLabels { get; init; }

    /// <summary>Whether the garden reported an inhibition (issue 14.4); absent when the reboot lock table did not answer.</summary>
    public bool? Inhibited { get; init; }

    /// <summary>Why and since when, while inhibited.</summary>
    public GardenInhibitionStateWire? Inhibition { get; init; }
}

public sealed record SeedDeploymentWire(string SubscriptionSid, string SubscriptionName, SeedWire Seed, string AuthorizedAction, string? ExecutedAction,
    string State, string? Result, string Log);

/// <param name="Actor">Who did it: a token sid, a garden sid, or <c>system</c> (the server).</param>
/// <param name="ActorKind">token, garden, server or person.</param>
/// <param name="ActorDescription">The acting token's description when it acted (null for gardens and the server).</param>
public sealed record DeploymentEventWire(string Type, string? Reason, string Actor, string At, string? Detail, string ActorKind, string? ActorDescription);

public sealed record DeploymentDetailWire(string Sid, string GardenSid, string State, string? Result, string Trigger, string Reason, bool Approved,
    string ContentHash, string RequestId, string CreatedAt, string LastDispatchedAt, string? DeployedAt, string? Parent, int RetryOrdinal,
    IReadOnlyList<string> ConfirmRules, IReadOnlyList<SeedDeploymentWire> Seeds, IReadOnlyList<DeploymentEventWire> Events);

public sealed record DeployBody(string? SeedSid);

public sealed record DeployAcceptedWire(string RequestId, string? DeploymentSid, bool AwaitingApproval);

public sealed record NixCacheWire(string Sid, string Url, string PublicKey);

public sealed record NixCacheBody(string? Url, string? PublicKey);

public sealed record ErrorWire(string Error, IReadOnlyList<string>? Errors = null, string? Message = null);

public static class ApiWire
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Credentials and artifacts contain '+' and '/'; keep them readable for curl users (still valid JSON).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Time(Instant i) => InstantPattern.ExtendedIso.Format(i);

    public static string? Time(Instant? i) => i is { } v ? Time(v) : null;

    public static SeedWire Seed(SeedInfo s) => new(s.Sid.Value, s.Name, s.Type.ToWire(), s.Artifact, [.. s.Tags.Select(t => new TagWire(t.Key, t.Value))],
        Time(s.Recency), Time(s.CreatedAt), s.Retired, s.Recall is not null, s.Recall?.Reason, Time(s.Recall?.At), s.Recall?.By);

    public static SubscriptionWire Subscription(SubscriptionRecord r)
    {
        var json = SubscriptionJson.ToJson(r.Spec);
        return new SubscriptionWire(r.Sid.Value, r.Spec.Name, r.Spec.SeedName, r.Spec.SeedType.ToWire(),
            JsonSerializer.SerializeToElement(json["rules"]), r.Spec.Schedule, r.Spec.Timezone, JsonSerializer.SerializeToElement(PolicyJson.ToJson(r.Spec.Policy)),
            Time(r.UpdatedAt));
    }

    public static DeploymentListItemWire DeploymentItem(DeploymentRecord d, string? gardenName) => new(
        d.Sid.Value, d.Garden.Value, gardenName, d.State.ToWire(), d.Result?.ToWire(), d.Trigger.ToWire(), d.Reason.ToWire(), d.Approved,
        Time(d.CreatedAt), Time(d.DeployedAt), d.Parent?.Value, d.RetryOrdinal, [.. d.Subscriptions.Select(s => s.Value)]);

    public static DeploymentListItemWire DeploymentItem(DeploymentSummary d, string? gardenName) => new(
        d.Sid.Value, d.Garden.Value, gardenName, d.State.ToWire(), d.Result?.ToWire(), d.Trigger.ToWire(), d.Reason.ToWire(), d.Approved,
        Time(d.CreatedAt), Time(d.DeployedAt), d.Parent?.Value, d.RetryOrdinal, [.. d.Seeds.Select(s => s.Subscription.Value).Distinct()]);

    public static DeploymentDetailWire DeploymentDetail(DeploymentRecord d) => new(
        d.Sid.Value, d.Garden.Value, d.State.ToWire(), d.Result?.ToWire(), d.Trigger.ToWire(), d.Reason.ToWire(), d.Approved, d.ContentHash,
        d.RequestId.Value, Time(d.CreatedAt), Time(d.LastDispatchedAt), Time(d.DeployedAt), d.Parent?.Value, d.RetryOrdinal, d.ConfirmRules,
        [.. d.Seeds.Select(s => new SeedDeploymentWire(s.Subscription.Value, s.SubscriptionName, Seed(s.Seed), s.Authorized.ToWire(), s.Executed?.ToWire(),
            s.State.ToWire(), s.Result?.ToWire(), s.Log))],
        [.. d.Events.Select(e => new DeploymentEventWire(e.Type, e.Reason, e.Actor.Sid, Time(e.At), e.Detail, e.Actor.Kind.ToString().ToLowerInvariant(), e.Actor.Description))]);

    public static GenerationWire Generation(GenerationRow g) =>
        new(g.ProfilePath, g.Seed.Value, g.Artifact, g.Link, Time(g.Created), g.Number, g.IsCurrent);

    public static IResult Ok<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, Json, statusCode: status);

    public static IResult Error(int status, string error, IReadOnlyList<string>? errors = null, string? message = null) =>
        Results.Json(new ErrorWire(error, errors, message), Json, statusCode: status);

    public static IResult NotFound(string error = "not found") => Error(StatusCodes.Status404NotFound, error);

    /// <summary>What a 503 says when an entity did not answer in time: the work may still have been done (issue 12,
    /// finding 6), so the caller must not assume it failed.</summary>
    public const string UnavailableMessage =
        "the server did not answer in time; the request may still have been carried out: check its effect before retrying";

    /// <summary>The same for a seed submission, which is idempotent by (seed_type, artifact).</summary>
    public const string SeedSubmitUnavailableMessage =
        "the server did not answer in time; the seed may still have been registered. Retrying the same submission is safe: it answers 200 with the same seed and never registers it twice";

    public static IResult Unavailable() => Error(StatusCodes.Status503ServiceUnavailable, "unavailable", message: UnavailableMessage);

    /// <summary>Reads a JSON object body; malformed JSON is a 400, never an exception.</summary>
    public static async Task<(T? Body, IResult? Error)> ReadBody<T>(HttpContext http, bool required = true) where T : class
    {
        if (!required && (http.Request.ContentLength ?? -1) == 0) return (null, null);
        if (http.Request.ContentLength > SeedLimits.MaxRequestBodyBytes) return (null, BodyTooLarge());
        try
        {
            // Read at most the limit (and one byte more to notice a chunked body that is larger) before parsing anything.
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > SeedLimits.MaxRequestBodyBytes) return (null, BodyTooLarge());
                buffer.Write(chunk, 0, read);
            }
            buffer.Position = 0;
            if (!required && buffer.Length == 0) return (null, null);
            using var doc = await JsonDocument.ParseAsync(buffer, default, http.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Error(StatusCodes.Status400BadRequest, "invalid request body", ["body: must be a JSON object"]));
            }
            return (doc.RootElement.Deserialize<T>(Json), null);
        }
        catch (JsonException e)
        {
            if (!required && e.BytePositionInLine == 0 && e.LineNumber == 0) return (null, null);
            var where = string.IsNullOrEmpty(e.Path) ? "body" : e.Path.TrimStart('$', '.');
            return (null, Error(StatusCodes.Status400BadRequest, "invalid request body", [$"{where}: not valid JSON of the expected shape"]));
        }
    }

    private static IResult BodyTooLarge() =>
        Error(StatusCodes.Status422UnprocessableEntity, "request body too large", [$"body: at most {SeedLimits.MaxRequestBodyBytes} bytes (1 MiB)"]);

    /// <summary>page (1-based) and per_page (1–200, default 50); bad values are 400s.</summary>
    public static (int Page, int PerPage, IResult? Error) Paging(HttpRequest request)
    {
        var errors = new List<string>();
        var page = 1;
        var perPage = 50;
        if (request.Query.TryGetValue("page", out var p) && (!int.TryParse(p, out page) || page < 1)) errors.Add("page: must be a whole number >= 1");
        if (request.Query.TryGetValue("per_page", out var pp) && (!int.TryParse(pp, out perPage) || perPage is < 1 or > 200))
        {
            errors.Add("per_page: must be a whole number from 1 to 200");
        }
        return errors.Count > 0 ? (0, 0, Error(StatusCodes.Status400BadRequest, "invalid parameters", errors)) : (page, perPage, null);
    }

    public static PageWire<T> Page<T>(IEnumerable<T> all, int page, int perPage)
    {
        var list = all as IReadOnlyCollection<T> ?? all.ToList();
        return new PageWire<T>([.. list.Skip((page - 1) * perPage).Take(perPage)], page, perPage, list.Count);
    }
}
