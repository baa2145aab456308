using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sower.Actors.Hosting;
using Sower.Actors.Server.Projections;
using Sower.Actors.Server.Tokens;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Health;

/// <summary>
/// Readiness beyond "the journal answers and this node is Up" (issue 19.2): a node is not ready while it cannot
/// authenticate (the token store singleton does not answer) or while its read-model projector is not following every
/// tag (its listings would be empty or frozen). Both are reported in <c>/healthz/ready</c>'s JSON with the reason.
/// </summary>
public static class ReadinessChecks
{
    public const string TokenStoreCheck = "sower-token-store";
    public const string ProjectorCheck = "sower-read-model-projector";
    public const string TokenViewCheck = "sower-token-view";

    public static WebApplicationBuilder AddSowerReadiness(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenStoreProbe>();
        builder.Services.AddHealthChecks()
            .AddCheck<TokenStoreHealthCheck>(TokenStoreCheck, tags: [ClusterHostingExtensions.ReadyTag])
            .AddCheck<ProjectorHealthCheck>(ProjectorCheck, tags: [ClusterHostingExtensions.ReadyTag])
            .AddCheck<TokenViewHealthCheck>(TokenViewCheck, tags: [ClusterHostingExtensions.ReadyTag]);
        return builder;
    }
}

/// <summary>Asks the token store what every request's authentication asks (a presented token), with a probe that is
/// no token at all, so nothing is looked up or logged as a failed sign-in.</summary>
public sealed class TokenStoreHealthCheck : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private readonly ActorRegistry _registry;
    private readonly TokenStoreProbe _probe;

    [ActivatorUtilitiesConstructor]
    public TokenStoreHealthCheck(ActorRegistry registry, TokenStoreProbe probe)
    {
        _registry = registry;
        _probe = probe;
    }

    /// <summary>A check with its own probe (one question at a time for this instance only).</summary>
    public TokenStoreHealthCheck(ActorRegistry registry) : this(registry, new TokenStoreProbe()) { }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var store = await _registry.GetAsync<AccessTokensActorKey>(cancellationToken).WaitAsync(Timeout, cancellationToken);
            await _probe.Ask(store).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("the token store answers");
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the token store did not answer within {Timeout.TotalSeconds:0} s: sign-ins would be refused");
        }
    }
}

/// <summary>The token store's readiness question, asked once at a time: a probe not answered within
/// <see cref="TokenStoreHealthCheck.Timeout"/> reports "not ready" but leaves its question open (up to
/// <see cref="AnswerWithin"/>), and the next probe waits for that same answer. A question per probe, each abandoned
/// after 3 s, had the store's late answers (a first start, a busy node) end as dead letters.</summary>
public sealed class TokenStoreProbe
{
    public static readonly TimeSpan AnswerWithin = TimeSpan.FromMinutes(1);
    private const string Probe = "readiness-probe";
    private readonly Lock _gate = new();
    private Task? _pending;

    public Task Ask(IActorRef store)
    {
        lock (_gate)
        {
            if (_pending is null || _pending.IsCompleted)
                _pending = store.Ask<AccessTokenAuthenticated>(new AuthenticateAccessToken(Probe), AnswerWithin);
            return _pending;
        }
    }
}

public sealed class ProjectorHealthCheck(ReadModelStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(store.ProjectorProblem is { } problem
            ? HealthCheckResult.Unhealthy("read-model projector not running: " + problem)
            : HealthCheckResult.Healthy("the read-model projector follows every tag"));
}

/// <summary>
/// This node's <see cref="AccessTokenView"/> (fed by <see cref="AccessTokenReplicaActor"/> every 0.5 s) must have read the
/// token journal within <see cref="AccessTokenView.MaxStaleness"/>: a stale view is not trusted, so every request's
/// authentication falls back to the single token store and a revocation may reach this node late. Not ready until then.
/// </summary>
public sealed class TokenViewHealthCheck(AccessTokenView view) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(view.IsFresh
            ? HealthCheckResult.Healthy("this node's token view read the token journal within " + AccessTokenView.MaxStaleness.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " s")
            : HealthCheckResult.Unhealthy("this node's token view is stale: it has not read the token journal within "
                + AccessTokenView.MaxStaleness.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " s, so it cannot authenticate reliably"));
}
