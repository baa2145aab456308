using System.Security.Claims;
using System.Text.Encodings.Web;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using NodaTime;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Auth;

public sealed class AccessTokenAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Paths where the token may come as the <c>access_token</c> query parameter (SignalR hubs cannot
    /// send headers over WebSockets from browsers).</summary>
    public string[] QueryStringPathPrefixes { get; set; } = ["/hubs"];

    /// <summary>How long a lookup in the token store may take before the request is refused.</summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The "Bearer" scheme: <c>Authorization: Bearer sower_…</c> (or <c>?access_token=</c> on hub paths),
/// checked against the token store with a short per-node cache. Every refusal is the same 401
/// <c>{"error":"unauthorized"}</c>; a missing role is 403 <c>{"error":"forbidden"}</c>; a token that could not be checked
/// (the store did not answer) is 503 <c>{"error":"unavailable"}</c>.</summary>
public sealed class AccessTokenAuthenticationHandler(
    IOptionsMonitor<AccessTokenAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ActorRegistry registry,
    AccessTokenCache cache,
    IClock clock,
    Sower.Server.Configuration.ServerOptions server,
    AccessTokenView? view = null) : AuthenticationHandler<AccessTokenAuthenticationOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = null;
        if (Request.Headers.Authorization is { Count: > 0 } header)
        {
            var value = header.Count == 1 ? header[0] : null;
            if (value is null || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return AuthenticateResult.Fail("unsupported Authorization header");
            presented = value["Bearer ".Length..].Trim();
        }
        else if (Options.QueryStringPathPrefixes.Any(p => Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
                 && Request.Query.TryGetValue("access_token", out var query) && query.Count == 1)
        {
            presented = query[0];
        }
        if (presented is null) return AuthenticateResult.NoResult();
        if (!AccessTokenFormat.TryParse(presented, out _, out _)) return AuthenticateResult.Fail("malformed token");

        var today = clock.GetCurrentInstant().InUtc().Date;
        if (cache.TryGet(presented, out var cached) && cached.IsValidOn(today)) return Success(cached);
        // This node's copy of the store answers without the singleton (which may be moving); a miss still asks the store.
        if (view is not null && view.TryAuthenticate(presented, today, out var replicated))
        {
            cache.Add(presented, replicated);
            return Success(replicated);
        }

        AccessTokenInfo? info;
        try
        {
            var store = await registry.GetAsync<AccessTokensActorKey>(Context.RequestAborted).WaitAsync(Options.LookupTimeout, Context.RequestAborted);
            var reply = await store.Ask<AccessTokenAuthenticated>(new AuthenticateAccessToken(presented), Options.LookupTimeout, Context.RequestAborted);
            info = reply.Token;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException)
        {
            Logger.LogWarning("The access-token store did not answer within {Timeout}", Options.LookupTimeout);
            _storeUnavailable = true;
            return AuthenticateResult.Fail("token store unavailable");
        }
        if (info is null) return AuthenticateResult.Fail("invalid token");
        cache.Add(presented, info);
        return Success(info);
    }

    private AuthenticateResult Success(AccessTokenInfo info) =>
        !server.Auth.Allows(info) ? AuthenticateResult.Fail("the owner's role mapping no longer grants this personal token's roles")
        : AuthenticateResult.Success(new AuthenticationTicket(AccessTokenPrincipal.Create(info, Scheme.Name), Scheme.Name));

    /// <summary>Set when this request's token could not be checked: the store did not answer (its singleton moving, this
    /// node starting). That is not a verdict on the token, so it is answered 503 with Retry-After, never 401: a client
    /// keeps its credential and retries, and a load balancer (proxy_next_upstream http_503) tries another node.</summary>
    private bool _storeUnavailable;

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Response.HasStarted) return;
        if (_storeUnavailable)
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.Headers.RetryAfter = "5";
            await Response.WriteAsJsonAsync(new { error = "unavailable", message = "the token store did not answer in time; retry shortly" }, Context.RequestAborted);
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Response.WriteAsJsonAsync(new { error = "unauthorized" }, Context.RequestAborted);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        if (Response.HasStarted) return;
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Response.WriteAsJsonAsync(new { error = "forbidden" }, Context.RequestAborted);
    }
}
