using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.RebootLocks;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;
using Sower.Actors.Server.Tokens;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Tokens;
using NodaTime;
using Sower.Server.Auth;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Api;

/// <summary>Garden enrollment (REFERENCE §5.4) and the garden listings (§6.14).</summary>
public static class GardenEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapGardenEndpoints(this IEndpointRouteBuilder app)
    {
        var gardens = app.MapGroup("/api/v1/gardens").WithTags("gardens");
        gardens.MapPost("/register", Register).RequireAuthorization(Roles.GardenRegister).Accepts<RegisterGardenBody>("application/json")
            .Produces<GardenEnrolledWire>(201).Produces<EnrollmentPendingWire>(202).Produces<ErrorWire>(403).Produces<ErrorWire>(422)
            .WithSummary("Enroll a new garden; a known host re-binds only with its current credential (or an admin caller), otherwise it waits for approval");
        gardens.MapGet("/enrollments", ListEnrollments).RequireAuthorization(Roles.Admin).Produces<PageWire<EnrollmentWire>>()
            .WithSummary("Re-enrollments waiting for an admin");
        gardens.MapPost("/enrollments/{sid}/approve", (string sid, ClaimsPrincipal user, ReadModelStore readModel, IRequiredActor<GardenRegion> gardens,
                IRequiredActor<AccessTokensActorKey> tokens) => Decide(sid, user, readModel, gardens, tokens, approve: true))
            .RequireAuthorization(Roles.Admin).Produces<EnrollmentDecisionWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409)
            .WithSummary("Approve a re-enrollment: the garden is re-bound and its current credential revoked");
        gardens.MapPost("/enrollments/{sid}/reject", (string sid, ClaimsPrincipal user, ReadModelStore readModel, IRequiredActor<GardenRegion> gardens,
                IRequiredActor<AccessTokensActorKey> tokens) => Decide(sid, user, readModel, gardens, tokens, approve: false))
            .RequireAuthorization(Roles.Admin).Produces<EnrollmentDecisionWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409)
            .WithSummary("Reject a re-enrollment: the garden keeps its current credential");
        gardens.MapPost("/enrollments/{sid}/claim", Claim).RequireAuthorization(Roles.GardenRegister).Accepts<ClaimEnrollmentBody>("application/json")
            .Produces<GardenEnrolledWire>(201).Produces<EnrollmentPendingWire>(202).Produces<ErrorWire>(403).Produces<ErrorWire>(404).Produces<ErrorWire>(410)
            .WithSummary("The requester collects its credential once its enrollment is approved");
        gardens.MapGet("/deleted", ListDeleted).RequireAuthorization(Roles.Admin).Produces<PageWire<DeletedGardenWire>>()
            .WithSummary("Deleted gardens whose host identifiers are refused until restored");
        gardens.MapPost("/{sid}/restore", Restore).RequireAuthorization(Roles.Admin).Produces(204).Produces<ErrorWire>(404)
            .WithSummary("Let a deleted garden enroll again");
        gardens.MapDelete("/{sid}", Delete).RequireAuthorization(Roles.Admin).Produces(204).Produces<ErrorWire>(404)
            .WithSummary("Delete a garden: revokes its credential and drops its live connection; deployments are kept");
        gardens.MapGet("", List).RequireAuthorization(Roles.GardenRead).Produces<PageWire<GardenListItemWire>>().Produces<ErrorWire>(422)
            .WithSummary("List gardens (label_selector=role=web,zone=eu-1 keeps only the matching ones)");
        gardens.MapGet("/{sid}", Get).RequireAuthorization(Roles.GardenRead).Produces<GardenDetailWire>().Produces<ErrorWire>(404).WithSummary("One garden");
    }

    private static async Task<IResult> Register(HttpContext http, ClaimsPrincipal user, IRequiredActor<GardenRegion> gardens,
        IRequiredActor<AccessTokensActorKey> tokens, ILoggerFactory logs)
    {
        var (body, error) = await ApiWire.ReadBody<RegisterGardenBody>(http);
        if (error is not null) return error;
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Length > 200) problems.Add("name: required, at most 200 characters");
        if (string.IsNullOrWhiteSpace(body.HostIdentifier) || body.HostIdentifier.Length > 500) problems.Add("host_identifier: required, at most 500 characters");
        if (body.Version is { Length: > 200 }) problems.Add("version: at most 200 characters");
        if (problems.Count > 0) return ApiWire.Error(422, "invalid garden", problems);

        var actor = ApiCaller.Sid(user);
        var by = user.AuditActor();
        var gid = GardenIdentity.For(body.HostIdentifier!);
        TokenId? proven = null;
        if (!string.IsNullOrEmpty(body.CurrentCredential)
            && await tokens.ActorRef.Ask(new AccessTokenQueries.AuthenticateAccessToken(body.CurrentCredential), AskTimeout) is AccessTokenAuthenticated { Token: { } current }
            && current.GardenId == gid)
        {
            proven = current.Sid;
        }
        var claim = EnrollmentClaim.NewSecret();
        var reply = await gardens.ActorRef.Ask(new RegisterGarden(gid, body.Name!, body.HostIdentifier!, body.Version, actor, user.IsAdmin(), proven,
            EnrollmentClaim.Hash(claim)), AskTimeout);
        switch (reply)
        {
            case CommandFailed { Code: GardenEnrollmentRules.GardenDeleted } deleted:
                return ApiWire.Error(403, deleted.Code, message: deleted.Message);
            case CommandFailed { Code: GardenEnrollmentRules.TooManyPending } full:
                return ApiWire.Error(429, full.Code, message: full.Message);
            case EnrollmentParked parked:
                logs.CreateLogger("Sower.Enrollment").LogWarning(
                    "enrollment {EnrollmentId} of the known garden {GardenId} by {Actor} waits for an admin: sower garden enrollments approve {EnrollmentId}",
                    parked.Enrollment, gid, actor, parked.Enrollment);
                return ApiWire.Ok(new EnrollmentPendingWire("pending_approval", gid.Value, parked.Enrollment.Value, claim, ApiWire.Time(parked.ExpiresAt),
                    $"this host is already enrolled as garden {gid}; enrollment {parked.Enrollment} waits for an admin " +
                    $"(sower garden enrollments approve {parked.Enrollment})"), 202);
            case not GardenEnrolled:
                logs.CreateLogger("Sower.Enrollment").LogError("enrollment of garden {GardenId} failed: {Reply}", gid, reply);
                return ApiWire.Unavailable();
        }
        var enrolled = (GardenEnrolled)reply;
        var credential = await IssueCredential(gid, body.Name!, by, enrolled.PreviousCredential, tokens, gardens, logs);
        return credential is null
            ? ApiWire.Unavailable()
            : ApiWire.Ok(new GardenEnrolledWire(gid.Value, enrolled.Name, credential, enrolled.Rebound), 201);
    }

    /// <summary>Rotates (or creates) the garden's credential and binds it; a credential bound concurrently is revoked.</summary>
    private static async Task<string?> IssueCredential(GardenId gid, string name, Actor by, TokenId? previousCredential,
        IRequiredActor<AccessTokensActorKey> tokens, IRequiredActor<GardenRegion> gardens, ILoggerFactory logs)
    {
        object issued = previousCredential is { } previous
            ? await tokens.ActorRef.Ask(new RegenerateAccessToken(previous, null, by, ByServer: true), AskTimeout)
            : await tokens.ActorRef.Ask(new CreateAccessToken($"garden {name}", [Roles.Garden], null, by, gid, ByServer: true), AskTimeout);
        if (issued is AccessTokenError { Code: AccessTokenErrorCodes.NotFound } && previousCredential is not null)
        {
            // The server issues garden credentials itself (ByServer): the enrollment token may not manage tokens.
            // The old credential was revoked: issue a fresh one for the same garden.
            issued = await tokens.ActorRef.Ask(new CreateAccessToken($"garden {name}", [Roles.Garden], null, by, gid, ByServer: true), AskTimeout);
        }
        if (issued is not AccessTokenIssued token)
        {
            logs.CreateLogger("Sower.Enrollment").LogError("issuing the credential of garden {GardenId} failed: {Reply}", gid, issued);
            return null;
        }
        var bound = await gardens.ActorRef.Ask<GardenCredentialReplaced>(new BindGardenCredential(gid, token.TokenId), AskTimeout);
        if (bound.Replaced is { } replaced)
        {
            // A concurrent enrolment of the same host bound another credential first: only the latest stays valid.
            await tokens.ActorRef.Ask(new RevokeAccessToken(replaced, by, ByServer: true), AskTimeout);
        }
        return token.Plaintext;
    }

    private static IResult ListEnrollments(HttpRequest request, ReadModelStore readModel, IClock clock)
    {
        var (page, perPage, error) = ApiWire.Paging(request);
        if (error is not null) return error;
        var now = clock.GetCurrentInstant();
        var items = readModel.Current.Gardens.Values
            .SelectMany(g => g.Enrollments.Where(e => e.IsOpen(now)).Select(e => Enrollment(g, e)))
            .OrderBy(e => e.RequestedAt, StringComparer.Ordinal).ThenBy(e => e.Sid, StringComparer.Ordinal);
        return ApiWire.Ok(ApiWire.Page(items, page, perPage));
    }

    private static EnrollmentWire Enrollment(GardenState g, PendingEnrollment e) => new(e.Sid.Value, g.Sid.Value, g.Registration?.Name, e.Name, e.Version,
        e.RequestedBy, ApiWire.Time(e.RequestedAt), ApiWire.Time(e.ExpiresAt), e.Status.ToString().ToLowerInvariant());

    /// <summary>The garden holding an enrollment, from the read model (the listing admins approve from).</summary>
    private static GardenId? GardenOf(ReadModelStore readModel, EnrollmentId id) =>
        readModel.Current.Gardens.Values.FirstOrDefault(g => g.FindEnrollment(id) is not null)?.Sid;

    private static async Task<IResult> Decide(string sid, ClaimsPrincipal user, ReadModelStore readModel, IRequiredActor<GardenRegion> gardens,
        IRequiredActor<AccessTokensActorKey> tokens, bool approve)
    {
        if (!Sid.IsValid(sid, EnrollmentId.Prefix) || GardenOf(readModel, new EnrollmentId(sid)) is not { } gid) return ApiWire.NotFound("enrollment not found");
        var id = new EnrollmentId(sid);
        var actor = ApiCaller.Sid(user);
        var reply = await gardens.ActorRef.Ask(approve ? new ApproveEnrollment(gid, id, actor) : new RejectEnrollment(gid, id, actor), AskTimeout);
        switch (reply)
        {
            case EnrollmentDecided decided:
                // The old credential stops working the moment the new binding is approved.
                if (decided.RevokeCredential is { } old) await tokens.ActorRef.Ask(new RevokeAccessToken(old, user.AuditActor(), ByServer: true), AskTimeout);
                return ApiWire.Ok(new EnrollmentDecisionWire(sid, gid.Value, decided.Status.ToString().ToLowerInvariant()));
            case CommandFailed { Code: GardenEnrollmentRules.EnrollmentNotFound }:
                return ApiWire.NotFound("enrollment not found");
            case CommandFailed failed:
                return ApiWire.Error(409, failed.Code, message: failed.Message);
            default:
                return ApiWire.Unavailable();
        }
    }

    private static async Task<IResult> Claim(string sid, HttpContext http, ClaimsPrincipal user, IRequiredActor<GardenRegion> gardens,
        IRequiredActor<AccessTokensActorKey> tokens, ILoggerFactory logs)
    {
        var (body, error) = await ApiWire.ReadBody<ClaimEnrollmentBody>(http);
        if (error is not null) return error;
        var problems = new List<string>();
        if (!Sid.IsValid(body!.GardenSid, GardenId.Prefix)) problems.Add("garden_sid: required, a garden sid");
        if (string.IsNullOrEmpty(body.Claim) || body.Claim.Length > 200) problems.Add("claim: required, the claim of the enrollment");
        if (problems.Count > 0) return ApiWire.Error(422, "invalid claim", problems);
        if (!Sid.IsValid(sid, EnrollmentId.Prefix)) return ApiWire.NotFound("enrollment not found");
        var gid = new GardenId(body.GardenSid!);
        var id = new EnrollmentId(sid);
        var reply = await gardens.ActorRef.Ask(new ClaimEnrollment(gid, id, EnrollmentClaim.Hash(body.Claim!)), AskTimeout);
        if (reply is not EnrollmentClaimed claimed) return ApiWire.Unavailable();
        switch (claimed.Outcome)
        {
            case GardenEnrollmentRules.ClaimOutcome.NotFound:
                return ApiWire.Error(404, GardenEnrollmentRules.EnrollmentNotFound, message: "enrollment not found (deleted, completed or never made); enroll again");
            case GardenEnrollmentRules.ClaimOutcome.Rejected:
                return ApiWire.Error(403, GardenEnrollmentRules.EnrollmentRejected, message: "an admin rejected this enrollment");
            case GardenEnrollmentRules.ClaimOutcome.Expired:
                return ApiWire.Error(410, GardenEnrollmentRules.EnrollmentExpired, message: "enrollment expired before an admin approved it; enroll again");
            case GardenEnrollmentRules.ClaimOutcome.Pending:
                return ApiWire.Ok(new { status = "pending_approval", sid = gid.Value, enrollment_sid = sid }, 202);
        }
        var by = user.AuditActor();
        var name = claimed.Name ?? "garden";
        var credential = await IssueCredential(gid, name, by, null, tokens, gardens, logs);
        if (credential is null) return ApiWire.Unavailable();
        await gardens.ActorRef.Ask(new CompleteEnrollment(gid, id), AskTimeout);
        return ApiWire.Ok(new GardenEnrolledWire(gid.Value, name, credential, true), 201);
    }

    private static IResult ListDeleted(HttpRequest request, ReadModelStore readModel)
    {
        var (page, perPage, error) = ApiWire.Paging(request);
        if (error is not null) return error;
        var items = readModel.Current.Gardens.Values.Where(g => g.Tombstone is not null)
            .Select(g => new DeletedGardenWire(g.Sid.Value, g.Tombstone!.Name, g.Tombstone.DeletedBy, ApiWire.Time(g.Tombstone.DeletedAt)))
            .OrderBy(g => g.Name, StringComparer.Ordinal).ThenBy(g => g.Sid, StringComparer.Ordinal);
        return ApiWire.Ok(ApiWire.Page(items, page, perPage));
    }

    private static async Task<IResult> Restore(string sid, ClaimsPrincipal user, IRequiredActor<GardenRegion> gardens)
    {
        if (!Sid.IsValid(sid, GardenId.Prefix)) return ApiWire.NotFound();
        var reply = await gardens.ActorRef.Ask(new RestoreGarden(new GardenId(sid), ApiCaller.Sid(user)), AskTimeout);
        return reply switch
        {
            CommandAccepted => Results.NoContent(),
            CommandFailed { Code: GardenEnrollmentRules.NotDeleted } => ApiWire.NotFound("garden is not deleted"),
            _ => ApiWire.Unavailable(),
        };
    }

    private static async Task<IResult> Delete(string sid, ClaimsPrincipal user, IRequiredActor<GardenRegion> gardens, IRequiredActor<AccessTokensActorKey> tokens)
    {
        if (!Sid.IsValid(sid, GardenId.Prefix)) return ApiWire.NotFound();
        var reply = await gardens.ActorRef.Ask(new DeleteGarden(new GardenId(sid), ApiCaller.Actor(user)), AskTimeout);
        if (reply is not GardenDeleted deleted) return ApiWire.NotFound();
        if (deleted.Credential is { } credential) await tokens.ActorRef.Ask(new RevokeAccessToken(credential, user.AuditActor(), ByServer: true), AskTimeout);
        return Results.NoContent();
    }

    private static async Task<IResult> List(HttpRequest request, ReadModelStore readModel, IRequiredActor<RebootLocksActorKey> locks, ILoggerFactory logs)
    {
        var (page, perPage, error) = ApiWire.Paging(request);
        if (error is not null) return error;
        var (selector, selectorError) = GardenLabelEndpoints.Selector(request);
        if (selectorError is not null) return selectorError;
        var inhibitions = await GardenInhibitions.Current(locks, logs.CreateLogger("Sower.Api"));
        var model = readModel.Current;
        var items = model.Gardens.Values.Where(g => g.Exists && (selector is null || selector.Matches(g.Labels)))
            .OrderBy(g => g.Registration!.Name, StringComparer.Ordinal).ThenBy(g => g.Sid.Value)
            .Select(g => new GardenListItemWire(g.Sid.Value, g.Registration!.Name, model.IsOnline(g.Sid), g.Version, ApiWire.Time(g.LastSeen),
                ApiWire.Time(g.Registration.RegisteredAt), Latest(model, g), GardenConditionWire.RebootPending(g), GardenConditionWire.Drift(g))
            {
                Labels = GardenLabelEndpoints.Sorted(g.Labels),
                Inhibited = inhibitions is null ? null : inhibitions.ContainsKey(g.Sid.Value),
                Inhibition = GardenInhibitions.Wire(inhibitions, g.Sid.Value),
            });
        return ApiWire.Ok(ApiWire.Page(items, page, perPage));
    }

    private static async Task<IResult> Get(string sid, ReadModelStore readModel, IRequiredActor<RebootLocksActorKey> locks, ILoggerFactory logs)
    {
        var model = readModel.Current;
        if (!Sid.IsValid(sid, GardenId.Prefix) || model.Gardens.GetValueOrDefault(sid) is not { Exists: true } g) return ApiWire.NotFound();
        var inhibitions = await GardenInhibitions.Current(locks, logs.CreateLogger("Sower.Api"));
        var online = model.IsOnline(g.Sid);
        return ApiWire.Ok(new GardenDetailWire(g.Sid.Value, g.Registration!.Name, online, online ? ApiWire.Time(g.OnlineAt) : null, g.Version,
            ApiWire.Time(g.LastSeen), ApiWire.Time(g.Registration.RegisteredAt),
            [.. g.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal).Select(ApiWire.Subscription)],
            [.. g.Generations.Select(ApiWire.Generation)], Latest(model, g), GardenConditionWire.RebootPending(g), GardenConditionWire.Drift(g))
        {
            Labels = GardenLabelEndpoints.Sorted(g.Labels),
            OwnLabels = GardenLabelEndpoints.Sorted(g.OwnLabels),
            AdminLabels = GardenLabelEndpoints.Sorted(g.AdminLabels),
            Inhibited = inhibitions is null ? null : inhibitions.ContainsKey(g.Sid.Value),
            Inhibition = GardenInhibitions.Wire(inhibitions, g.Sid.Value),
        });
    }

    private static DeploymentListItemWire? Latest(ServerReadModel model, GardenState g) =>
        model.Deployments.Values.Where(d => d.Garden == g.Sid).MaxBy(d => d.CreatedAt) is { } latest
            ? ApiWire.DeploymentItem(latest, g.Registration?.Name)
            : null;
}
