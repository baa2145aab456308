using System.Collections.Immutable;
using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using NodaTime;
using Sower.Actors.Server;
using Sower.Actors.Server.Tokens;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;
using Sower.Messages.Tokens;
using Sower.Server.Api;
using Sower.Server.Auth;
using Sower.Server.Ui.Auth;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedQueries;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Ui.Services;

/// <summary>What an action in the console came to: a message for the page and, on success, where to go next.</summary>
public sealed record ConsoleOutcome(bool Ok, string Message, string? NavigateTo = null, string? Secret = null)
{
    public static ConsoleOutcome Success(string message, string? navigateTo = null) => new(true, message, navigateTo);

    public static ConsoleOutcome Failure(string message) => new(false, message);
}

/// <summary>
/// Every action of the console, sent as the same actor commands the REST API sends, after the same checks: the session's
/// token must still be valid and must satisfy the same role policy as the matching endpoint. The audit actor is the
/// token's owner, as for the API. Actors are resolved when an action runs, so pages render without them in tests.
/// </summary>
public sealed partial class ConsoleActions(
    IAuthorizationService authorization,
    AuthenticationStateProvider authentication,
    IServiceProvider services)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public async Task<ClaimsPrincipal> UserAsync() => (await authentication.GetAuthenticationStateAsync()).User;

    /// <summary>Whether the signed-in token satisfies a policy (a role name, or a console policy): decides which buttons show.</summary>
    public async Task<bool> CanAsync(string policy)
    {
        var user = await UserAsync();
        return user.Identity?.IsAuthenticated == true && (await authorization.AuthorizeAsync(user, null, policy)).Succeeded;
    }

    public Task<ConsoleOutcome> DeployAsync(SubscriptionId subscription, SeedId? seed = null) => Guarded(Roles.DeploymentWrite, async user =>
    {
        // The subscription's own entity, as the API asks it: the read model may lag a sync that just happened.
        var found = await Region<SubscriptionRegion>().Ask<SubscriptionQueries.SubscriptionFound>(new SubscriptionQueries.GetSubscription(subscription), AskTimeout);
        if (found.Subscription is not { } record) return ConsoleOutcome.Failure("Subscription not found");
        var garden = record.Garden;
        SeedInfo? explicitSeed = null;
        if (seed is { } s)
        {
            var seedFound = await Region<SeedRegion>().Ask<SeedFound>(new GetSeed(s), AskTimeout);
            if (seedFound.Seed is null) return ConsoleOutcome.Failure("Seed not found");
            explicitSeed = seedFound.Seed;
        }
        var reply = await Region<GardenRegion>().Ask(new DeploySubscription(garden, subscription, explicitSeed, ApiCaller.Actor(user)), AskTimeout);
        return Created(reply);
    });

    public Task<ConsoleOutcome> RetryAsync(DeploymentRecord deployment) => Guarded(Roles.DeploymentWrite, async user =>
        Created(await Region<GardenRegion>().Ask(new RetryDeployment(deployment.Garden, deployment.Sid, ApiCaller.Actor(user)), AskTimeout)));

    public Task<ConsoleOutcome> ApproveAsync(DeploymentId deployment) => Guarded(Roles.DeploymentWrite, async user =>
        Decided(await Region<DeploymentRegion>().Ask(new ApproveDeployment(deployment, ApiCaller.Actor(user)), AskTimeout), "Approved: dispatched to the garden"));

    public Task<ConsoleOutcome> RejectAsync(DeploymentId deployment) => Guarded(Roles.DeploymentWrite, async user =>
        Decided(await Region<DeploymentRegion>().Ask(new RejectDeployment(deployment, ApiCaller.Actor(user)), AskTimeout), "Rejected"));

    /// <summary>Deliberate rollback (REFERENCE §2): re-submit the seed with promote=true, so it becomes the latest again.</summary>
    public Task<ConsoleOutcome> PromoteAsync(SeedInfo seed) => Guarded(Roles.SeedWrite, async user =>
    {
        if (LegacyReportedSeeds.IsGardenReported(seed))
        {
            // Promoting would vouch for an artifact only a garden ever named: it must be submitted (with its tags) instead.
            return ConsoleOutcome.Failure("This seed was reported by a garden, never submitted; submit the artifact to make it deployable");
        }
        var command = new SubmitSeed(seed.Sid, seed.Name, seed.Type, seed.Artifact, [], Rename: false, Promote: true, ApiCaller.Sid(user));
        return await Region<SeedRegion>().Ask(command, AskTimeout) is SeedSubmissionResult
            ? ConsoleOutcome.Success("Promoted: it is now the latest seed of " + seed.Name)
            : ConsoleOutcome.Failure("The seed could not be promoted");
    });

    /// <summary>Delete a garden (admin, as the API): its live connection is dropped, its credential revoked, its
    /// subscriptions removed; its deployments stay in the history.</summary>
    public Task<ConsoleOutcome> DeleteGardenAsync(GardenId garden) => Guarded(Roles.Admin, async user =>
    {
        if (await Region<GardenRegion>().Ask(new DeleteGarden(garden, ApiCaller.Actor(user)), AskTimeout) is not GardenDeleted deleted)
        {
            return ConsoleOutcome.Failure("Garden not found");
        }
        if (deleted.Credential is { } credential)
        {
            await TokenStore(new RevokeAccessToken(credential, user.AuditActor(), ByServer: true));
            services.GetRequiredService<AccessTokenCache>().Invalidate(credential);
        }
        return ConsoleOutcome.Success("Garden deleted; its deployments stay in the history", "/gardens");
    });

    /// <summary>Approve or reject a parked re-enrollment (admin, as the API): approval re-binds the garden and revokes its credential.</summary>
    public Task<ConsoleOutcome> DecideEnrollmentAsync(GardenId garden, EnrollmentId enrollment, bool approve) => Guarded(Roles.Admin, async user =>
    {
        var actor = ApiCaller.Sid(user);
        var reply = await Region<GardenRegion>().Ask(approve ? new ApproveEnrollment(garden, enrollment, actor) : new RejectEnrollment(garden, enrollment, actor),
            AskTimeout);
        if (reply is not EnrollmentDecided decided) return ConsoleOutcome.Failure(reply is CommandFailed f ? f.Message : "Enrollment not found");
        if (decided.RevokeCredential is { } old)
        {
            await TokenStore(new RevokeAccessToken(old, user.AuditActor(), ByServer: true));
            services.GetRequiredService<AccessTokenCache>().Invalidate(old);
        }
        return ConsoleOutcome.Success(approve
            ? "Approved: the garden collects its new credential on its next check; its old credential is revoked"
            : "Rejected: the garden keeps its current credential");
    });

    /// <summary>Let a deleted garden's host enroll again (admin, as the API).</summary>
    public Task<ConsoleOutcome> RestoreGardenAsync(GardenId garden) => Guarded(Roles.Admin, async user =>
        await Region<GardenRegion>().Ask(new RestoreGarden(garden, ApiCaller.Sid(user)), AskTimeout) is CommandAccepted
            ? ConsoleOutcome.Success("Restored: its host may enroll again")
            : ConsoleOutcome.Failure("Garden is not deleted"));

    /// <summary>Retire (REFERENCE §2): kept for history, never the latest again, never deployed in realtime. Audited.</summary>
    public Task<ConsoleOutcome> RetireAsync(SeedInfo seed) => Guarded(Roles.SeedWrite, async user =>
        await Region<SeedRegion>().Ask(new RetireSeed(seed.Sid, ApiCaller.Actor(user)), AskTimeout) is SeedSubmissionResult
            ? ConsoleOutcome.Success("Retired: it stays in the history but is never the latest again")
            : ConsoleOutcome.Failure("Seed not found"));

    /// <summary>Recall (issue 16.2, audited): never deployed again; subscriptions running it get the newest non-recalled seed.</summary>
    public Task<ConsoleOutcome> RecallAsync(SeedInfo seed, string reason, bool force) => Guarded(Roles.SeedWrite, async user =>
    {
        if (RecallReasons.Check(reason) is { } problem) return ConsoleOutcome.Failure(char.ToUpperInvariant(problem[0]) + problem[1..]);
        return await Region<SeedRegion>().Ask(new RecallSeed(seed.Sid, reason, force, ApiCaller.Actor(user)), AskTimeout) switch
        {
            SeedSubmissionResult => ConsoleOutcome.Success("Recalled: gardens running it get the newest non-recalled seed"),
            Messages.CommandFailed failed => ConsoleOutcome.Failure(failed.Message),
            _ => ConsoleOutcome.Failure("Seed not found"),
        };
    });

    public Task<ConsoleOutcome> UnrecallAsync(SeedInfo seed) => Guarded(Roles.SeedWrite, async user =>
        await Region<SeedRegion>().Ask(new UnrecallSeed(seed.Sid, ApiCaller.Actor(user)), AskTimeout) switch
        {
            SeedSubmissionResult => ConsoleOutcome.Success("No longer recalled: it may be chosen again"),
            Messages.CommandFailed failed => ConsoleOutcome.Failure(failed.Message),
            _ => ConsoleOutcome.Failure("Seed not found"),
        });

    /// <summary>Remove one tag from a seed (REFERENCE §2, audited): subscriptions whose rules needed it stop matching.</summary>
    public Task<ConsoleOutcome> RemoveTagAsync(SeedInfo seed, Tag tag) => Guarded(Roles.SeedWrite, async user =>
        await Region<SeedRegion>().Ask(new RemoveSeedTag(seed.Sid, tag, ApiCaller.Actor(user)), AskTimeout) is SeedSubmissionResult
            ? ConsoleOutcome.Success($"Removed the tag {tag.Key}={tag.Value}")
            : ConsoleOutcome.Failure("Seed not found"));

    public async Task<(ImmutableArray<AccessTokenInfo> Tokens, string? Error)> ListTokensAsync()
    {
        var user = await UserAsync();
        if (!user.IsPerson() && !await Allowed(user, AuthorizationPolicies.ManageTokens)) return ([], AccessTokenStore.NotAManagerMessage[..1].ToUpperInvariant() + AccessTokenStore.NotAManagerMessage[1..] + ".");
        try
        {
            var reply = await TokenStore(new GetAccessTokens(user.AuditActor()));
            return reply switch
            {
                AccessTokenList list => (list.Tokens, null),
                AccessTokenError e => ([], e.Message),
                _ => ([], "The token store gave an unexpected answer."),
            };
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException)
        {
            return ([], "The token store did not answer in time; try again.");
        }
        catch (Exception e)
        {
            services.GetRequiredService<ILogger<ConsoleActions>>().LogError(e, "listing access tokens failed");
            return ([], "The tokens could not be listed; the server log has the details.");
        }
    }

    /// <summary>A token signs in the console or a person (OIDC) mints a personal CLI token for themselves, bounded by
    /// the roles their mapping grants them now.</summary>
    public async Task<ConsoleOutcome> CreateTokenAsync(string description, IReadOnlyCollection<string> roles, LocalDate? expiresOn) =>
        await Guarded((await UserAsync()).IsPerson() ? ConsoleAuthentication.ConsolePolicy : AuthorizationPolicies.ManageTokens, async user =>
        {
            ITokenMessage command = user.IsPerson()
                ? new CreatePersonalAccessToken(description.Trim(), [.. roles], expiresOn, user.AuditActor(), user.TokenRoles(), user.OidcMatches())
                : new CreateAccessToken(description.Trim(), [.. roles], expiresOn, user.AuditActor());
            var reply = await TokenStore(command);
            return reply switch
            {
                AccessTokenIssued issued => new ConsoleOutcome(true, TokenEndpoints.ShownOnceWarning, null, issued.Plaintext),
                AccessTokenError e => ConsoleOutcome.Failure(e.Errors.IsDefaultOrEmpty ? e.Message : string.Join("; ", e.Errors)),
                _ => ConsoleOutcome.Failure("The token store gave an unexpected answer."),
            };
        });

    public async Task<ConsoleOutcome> RevokeTokenAsync(TokenId token) =>
        await Guarded((await UserAsync()).IsPerson() ? ConsoleAuthentication.ConsolePolicy : AuthorizationPolicies.ManageTokens, async user =>
    {
        var reply = await TokenStore(new RevokeAccessToken(token, user.AuditActor()));
        if (reply is not AccessTokenRevocationConfirmed confirmed)
            return ConsoleOutcome.Failure(reply is AccessTokenError e ? e.Code == AccessTokenErrorCodes.NotFound ? "Token not found" : e.Message : "Token not found");
        services.GetRequiredService<AccessTokenCache>().Invalidate(confirmed.TokenId);
        services.GetRequiredService<ConsoleSessionValidator>().Forget(confirmed.TokenId);
        return ConsoleOutcome.Success("Revoked: the token no longer works.");
    });

    /// <summary>An action fails closed when the token store cannot confirm the session (it may have been revoked).</summary>
    public const string SessionUnconfirmed = "The server could not confirm your session in time, so nothing was done; try again.";

    private async Task<ConsoleOutcome> Guarded(string policy, Func<ClaimsPrincipal, Task<ConsoleOutcome>> action)
    {
        var user = await UserAsync();
        if (!await Allowed(user, policy)) return ConsoleOutcome.Failure($"Your token does not allow this (it needs {Describe(policy)}).");
        var validator = services.GetRequiredService<ConsoleSessionValidator>();
        switch (await validator.CheckAsync(user, CancellationToken.None))
        {
            case SessionCheck.Invalid: return ConsoleOutcome.Failure("Your session has ended: sign in again.");
            case SessionCheck.Unconfirmed: return ConsoleOutcome.Failure(SessionUnconfirmed);
        }
        try
        {
            return await action(user);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
        {
            return ConsoleOutcome.Failure("The server did not answer in time; try again.");
        }
        catch (Exception e)
        {
            // Never let a failed action take the page down; the log has the details.
            services.GetRequiredService<ILogger<ConsoleActions>>().LogError(e, "console action under policy {Policy} failed", policy);
            return ConsoleOutcome.Failure("The action failed on the server; the server log has the details.");
        }
    }

    private async Task<bool> Allowed(ClaimsPrincipal user, string policy) =>
        user.Identity?.IsAuthenticated == true && ConsoleAuthentication.IsConsoleUser(user) && (await authorization.AuthorizeAsync(user, null, policy)).Succeeded;

    private static string Describe(string policy) => policy == AuthorizationPolicies.ManageTokens ? "admin, seed:write or deployment:write" : $"the {policy} role";

    private IActorRef Region<TKey>() => services.GetRequiredService<IRequiredActor<TKey>>().ActorRef;

    private async Task<object> TokenStore(ITokenMessage message)
    {
        var registry = services.GetRequiredService<ActorRegistry>();
        var store = await registry.GetAsync<AccessTokensActorKey>().WaitAsync(AskTimeout);
        return await store.Ask<object>(message, AskTimeout);
    }

    private static ConsoleOutcome Created(object reply) => reply switch
    {
        DeploymentRequested { Deployment: { } sid, AwaitingApproval: true } => ConsoleOutcome.Success("Approval requested", Links.Deployment(sid)),
        DeploymentRequested { Deployment: { } sid, Duplicate: true } => ConsoleOutcome.Success("An identical deployment already exists", Links.Deployment(sid)),
        DeploymentRequested { Deployment: { } sid } => ConsoleOutcome.Success("Deployment created", Links.Deployment(sid)),
        DeploymentRequested => ConsoleOutcome.Failure("No matching seeds"),
        CommandFailed f => ConsoleOutcome.Failure(FailureText(f)),
        _ => ConsoleOutcome.Failure("The server gave an unexpected answer."),
    };

    private static ConsoleOutcome Decided(object reply, string message) =>
        reply is CommandFailed f ? ConsoleOutcome.Failure(FailureText(f)) : ConsoleOutcome.Success(message);

    /// <summary>The UI messages of REFERENCE §6.5, and the server's own message for everything else.</summary>
    public static string FailureText(CommandFailed f) => f.Code switch
    {
        "garden_not_found" => "Garden not found",
        DeploymentPlanner.PolicyDenied => "Denied by policy",
        DeploymentPlanner.SeedNotMatching => "Seed does not match subscription",
        DeploymentPlanner.SeedsNotFound => "No matching seeds",
        DeploymentPlanner.SubscriptionNotFound => "Subscription not found",
        DeploymentEntityState.NotFound => "Deployment not found",
        DeploymentEntityState.InvalidState => "Not possible in this state: " + f.Message,
        "retry_in_progress" => "A retry of this deployment is still in progress",
        _ => f.Message,
    };
}
