using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;
using Sower.Actors.Tokens;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Tokens;
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
            .Produces<GardenEnrolledWire>(201).Produces<ErrorWire>(422).WithSummary("Enroll a garden, or re-bind the garden of the same host identifier");
        gardens.MapDelete("/{sid}", Delete).RequireAuthorization(Roles.Admin).Produces(204).Produces<ErrorWire>(404)
            .WithSummary("Delete a garden: revokes its credential and drops its live connection; deployments are kept");
        gardens.MapGet("", List).RequireAuthorization(Roles.GardenRead).Produces<PageWire<GardenListItemWire>>().WithSummary("List gardens");
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
        var enrolled = await gardens.ActorRef.Ask<GardenEnrolled>(new RegisterGarden(gid, body.Name!, body.HostIdentifier!, body.Version, actor), AskTimeout);
        // The server issues garden credentials itself (ByServer): the enrollment token may not manage tokens.
        object issued = enrolled.PreviousCredential is { } previous
            ? await tokens.ActorRef.Ask(new RegenerateAccessToken(previous, null, by, ByServer: true), AskTimeout)
            : await tokens.ActorRef.Ask(new CreateAccessToken($"garden {body.Name}", [Roles.Garden], null, by, gid, ByServer: true), AskTimeout);
        if (issued is AccessTokenError { Code: AccessTokenErrorCodes.NotFound } && enrolled.PreviousCredential is not null)
        {
            // The old credential was revoked: issue a fresh one for the same garden.
            issued = await tokens.ActorRef.Ask(new CreateAccessToken($"garden {body.Name}", [Roles.Garden], null, by, gid, ByServer: true), AskTimeout);
        }
        if (issued is not AccessTokenIssued token)
        {
            logs.CreateLogger("Sower.Enrollment").LogError("issuing the credential of garden {Garden} failed: {Reply}", gid, issued);
            return ApiWire.Unavailable();
        }
        var bound = await gardens.ActorRef.Ask<GardenCredentialReplaced>(new BindGardenCredential(gid, token.TokenId), AskTimeout);
        if (bound.Replaced is { } replaced)
        {
            // A concurrent enrolment of the same host bound another credential first: only the latest stays valid.
            await tokens.ActorRef.Ask(new RevokeAccessToken(replaced, by, ByServer: true), AskTimeout);
        }
        return ApiWire.Ok(new GardenEnrolledWire(gid.Value, enrolled.Name, token.Plaintext, enrolled.Rebound), 201);
    }

    private static async Task<IResult> Delete(string sid, ClaimsPrincipal user, IRequiredActor<GardenRegion> gardens, IRequiredActor<AccessTokensActorKey> tokens)
    {
        if (!Sid.IsValid(sid, GardenId.Prefix)) return ApiWire.NotFound();
        var reply = await gardens.ActorRef.Ask(new DeleteGarden(new GardenId(sid), ApiCaller.Actor(user)), AskTimeout);
        if (reply is not GardenDeleted deleted) return ApiWire.NotFound();
        if (deleted.Credential is { } credential) await tokens.ActorRef.Ask(new RevokeAccessToken(credential, user.AuditActor(), ByServer: true), AskTimeout);
        return Results.NoContent();
    }

    private static IResult List(HttpRequest request, ReadModelStore readModel)
    {
        var (page, perPage, error) = ApiWire.Paging(request);
        if (error is not null) return error;
        var model = readModel.Current;
        var items = model.Gardens.Values.Where(g => g.Exists).OrderBy(g => g.Registration!.Name, StringComparer.Ordinal).ThenBy(g => g.Sid.Value)
            .Select(g => new GardenListItemWire(g.Sid.Value, g.Registration!.Name, model.IsOnline(g.Sid), g.Version, ApiWire.Time(g.LastSeen),
                ApiWire.Time(g.Registration.RegisteredAt), Latest(model, g)));
        return ApiWire.Ok(ApiWire.Page(items, page, perPage));
    }

    private static IResult Get(string sid, ReadModelStore readModel)
    {
        var model = readModel.Current;
        if (!Sid.IsValid(sid, GardenId.Prefix) || model.Gardens.GetValueOrDefault(sid) is not { Exists: true } g) return ApiWire.NotFound();
        var online = model.IsOnline(g.Sid);
        return ApiWire.Ok(new GardenDetailWire(g.Sid.Value, g.Registration!.Name, online, online ? ApiWire.Time(g.OnlineAt) : null, g.Version,
            ApiWire.Time(g.LastSeen), ApiWire.Time(g.Registration.RegisteredAt),
            [.. g.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal).Select(ApiWire.Subscription)],
            [.. g.Generations.Select(ApiWire.Generation)], Latest(model, g)));
    }

    private static DeploymentListItemWire? Latest(ServerReadModel model, GardenState g) =>
        model.Deployments.Values.Where(d => d.Garden == g.Sid).MaxBy(d => d.CreatedAt) is { } latest
            ? ApiWire.DeploymentItem(latest, g.Registration?.Name)
            : null;
}
