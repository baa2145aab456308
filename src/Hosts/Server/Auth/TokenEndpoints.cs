using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Auth;

/// <summary><c>GET /api/v1/auth/verify</c> and the token API (REFERENCE §6.14, §6.15). Bad bodies answer 400/422 with
/// an <c>errors</c> list; only tokens that may manage tokens get past the policy (403 otherwise); a token the caller may
/// not see answers 404; only an admin sees and manages every token; the last valid admin token answers 409 on revoke.
/// Every rule is the token store's (<see cref="AccessTokenStore"/>): this only translates HTTP.</summary>
public static class TokenEndpoints
{
    public const string ShownOnceWarning = "Store this token now: it cannot be shown again.";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static IEndpointRouteBuilder MapTokenEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/auth/verify", Verify).RequireAuthorization();
        var tokens = app.MapGroup("/api/v1/tokens").RequireAuthorization(AuthorizationPolicies.ManageTokens);
        tokens.MapGet("", List);
        tokens.MapGet("/{sid}", Get);
        tokens.MapPost("", Create);
        tokens.MapPost("/{sid}/regenerate", Regenerate);
        tokens.MapDelete("/{sid}", Revoke);
        return app;
    }

    private static IResult Verify(HttpContext http)
    {
        var user = http.User;
        return Results.Ok(new
        {
            sid = user.TokenSid()?.Value,
            description = user.FindFirst(AccessTokenPrincipal.DescriptionClaim)?.Value,
            permissions = user.TokenRoles(),
            expires_at = user.FindFirst(AccessTokenPrincipal.ExpiresOnClaim)?.Value,
        });
    }

    private static async Task<IResult> List(HttpContext http, ActorRegistry registry)
    {
        return await AskStore(http, registry, new GetAccessTokens(http.User.AuditActor()), reply => reply is AccessTokenList list
            ? Results.Ok(list.Tokens.Select(ToWire))
            : null);
    }

    private static async Task<IResult> Get(HttpContext http, ActorRegistry registry, string sid)
    {
        if (!Sid.IsValid(sid, "")) return NotFound();
        return await AskStore(http, registry, new GetAccessToken(new TokenId(sid), http.User.AuditActor()), reply => reply is AccessTokenFound found
            ? Results.Ok(ToWire(found.Token))
            : null);
    }

    private static async Task<IResult> Create(HttpContext http, ActorRegistry registry)
    {
        var (body, bad) = await ReadBody(http, required: true);
        if (bad is not null) return bad;
        var errors = new List<string>();
        var description = ReadString(body, "description", errors);
        var roles = ReadRoles(body, errors);
        var expiresOn = ReadDate(body, "expires_on", errors);
        ReadUnknown(body, errors, "description", "roles", "expires_on");
        if (errors.Count > 0) return Invalid(errors);

        var command = new CreateAccessToken(description ?? "", roles, expiresOn, http.User.AuditActor());
        return await AskStore(http, registry, command, reply => reply is AccessTokenIssued issued
            ? Results.Json(IssuedWire(issued), statusCode: StatusCodes.Status201Created)
            : null);
    }

    private static async Task<IResult> Regenerate(HttpContext http, ActorRegistry registry, AccessTokenCache cache, string sid)
    {
        if (!Sid.IsValid(sid, "")) return NotFound();
        var (body, bad) = await ReadBody(http, required: false);
        if (bad is not null) return bad;
        var errors = new List<string>();
        var expiresOn = ReadDate(body, "expires_on", errors);
        ReadUnknown(body, errors, "expires_on");
        if (errors.Count > 0) return Invalid(errors);

        var command = new RegenerateAccessToken(new TokenId(sid), expiresOn, http.User.AuditActor());
        return await AskStore(http, registry, command, reply =>
        {
            if (reply is not AccessTokenIssued issued) return null;
            cache.Invalidate(issued.TokenId);
            return Results.Ok(IssuedWire(issued));
        });
    }

    private static async Task<IResult> Revoke(HttpContext http, ActorRegistry registry, AccessTokenCache cache, string sid)
    {
        if (!Sid.IsValid(sid, "")) return NotFound();
        return await AskStore(http, registry, new RevokeAccessToken(new TokenId(sid), http.User.AuditActor()), reply =>
        {
            if (reply is not AccessTokenRevocationConfirmed confirmed) return null;
            // The store already cleared this node's cache when it runs here; the singleton may live elsewhere.
            cache.Invalidate(confirmed.TokenId);
            return Results.NoContent();
        });
    }

    // ─── Store access ───

    private static async Task<IResult> AskStore(HttpContext http, ActorRegistry registry, ITokenMessage message, Func<object, IResult?> onReply)
    {
        object reply;
        try
        {
            var store = await registry.GetAsync<AccessTokensActorKey>(http.RequestAborted).WaitAsync(AskTimeout, http.RequestAborted);
            reply = await store.Ask<object>(message, AskTimeout, http.RequestAborted);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException)
        {
            return Results.Json(new { error = "token store unavailable, try again" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (onReply(reply) is { } result) return result;
        return reply switch
        {
            AccessTokenError { Code: AccessTokenErrorCodes.NotFound } => NotFound(),
            AccessTokenError { Code: AccessTokenErrorCodes.Forbidden } e => Results.Json(new { error = "forbidden", errors = e.Errors.IsDefaultOrEmpty ? [e.Message] : e.Errors }, statusCode: StatusCodes.Status403Forbidden),
            AccessTokenError { Code: AccessTokenErrorCodes.Conflict } e => Results.Json(new { error = e.Message, errors = e.Errors }, statusCode: StatusCodes.Status409Conflict),
            AccessTokenError e => Results.Json(new { error = e.Message, errors = e.Errors }, statusCode: StatusCodes.Status422UnprocessableEntity),
            _ => Results.Json(new { error = "unexpected reply from the token store" }, statusCode: StatusCodes.Status500InternalServerError),
        };
    }

    // ─── Wire shapes ───

    private static object ToWire(AccessTokenInfo t) => new
    {
        sid = t.Sid.Value,
        description = t.Description,
        roles = t.Roles,
        expires_on = FormatDate(t.ExpiresOn),
        owner = t.OwnerSid,
        created_by = t.CreatedBy is { } by ? new { kind = by.Kind.ToString().ToLowerInvariant(), sid = by.Sid, description = by.Description } : null,
        garden_sid = t.GardenId?.Value,
        created_at = InstantPattern.ExtendedIso.Format(t.CreatedAt),
        token_hint = t.Hint,
    };

    private static object IssuedWire(AccessTokenIssued issued) => new
    {
        sid = issued.TokenId.Value,
        token = issued.Plaintext,
        description = issued.Token.Description,
        roles = issued.Token.Roles,
        expires_on = FormatDate(issued.Token.ExpiresOn),
        warning = ShownOnceWarning,
    };

    private static string? FormatDate(LocalDate? date) => date is { } d ? LocalDatePattern.Iso.Format(d) : null;

    private static IResult NotFound() => Results.Json(new { error = "not found" }, statusCode: StatusCodes.Status404NotFound);

    private static IResult Invalid(List<string> errors) =>
        Results.Json(new { error = "invalid request", errors }, statusCode: StatusCodes.Status422UnprocessableEntity);

    // ─── Body parsing: every problem with its path, never an exception ───

    private static async Task<(JsonElement? Body, IResult? Error)> ReadBody(HttpContext http, bool required)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, Results.Json(new { error = "invalid request body", errors = new[] { "body: must be a JSON object" } }, statusCode: StatusCodes.Status400BadRequest));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            var empty = http.Request.ContentLength is 0 || e.BytePositionInLine == 0 && e.LineNumber == 0;
            if (!required && empty) return (null, null);
            return (null, Results.Json(new { error = "invalid request body", errors = new[] { $"body: not valid JSON ({(empty ? "empty body" : e.Message)})" } },
                statusCode: StatusCodes.Status400BadRequest));
        }
    }

    private static string? ReadString(JsonElement? body, string name, List<string> errors)
    {
        if (body is not { } b || !b.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        errors.Add($"{name}: must be a string");
        return null;
    }

    private static ImmutableArray<string> ReadRoles(JsonElement? body, List<string> errors)
    {
        if (body is not { } b || !b.TryGetProperty("roles", out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add("roles: must be a list of role names");
            return [];
        }
        var roles = ImmutableArray.CreateBuilder<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String) roles.Add(item.GetString()!);
            else errors.Add($"roles[{i}]: must be a string");
            i++;
        }
        return roles.ToImmutable();
    }

    private static LocalDate? ReadDate(JsonElement? body, string name, List<string> errors)
    {
        var raw = ReadString(body, name, errors);
        if (raw is null) return null;
        var parsed = LocalDatePattern.Iso.Parse(raw);
        if (parsed.Success) return parsed.Value;
        errors.Add($"{name}: must be a date YYYY-MM-DD, got \"{raw}\"");
        return null;
    }

    private static void ReadUnknown(JsonElement? body, List<string> errors, params string[] known)
    {
        if (body is not { } b) return;
        foreach (var property in b.EnumerateObject())
        {
            if (!known.Contains(property.Name)) errors.Add($"{property.Name}: unknown field");
        }
    }
}
