using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;
using Sower.Messages.Tokens;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Deployments.DeploymentQueries;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Seeds.SeedQueries;

namespace Sower.Server.Api;

/// <summary>Deployments: listings from the read model, detail from the entity, manual deploy, retry, approve, reject (REFERENCE §6.5, §6.9, §6.10).</summary>
public static class DeploymentEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapDeploymentEndpoints(this IEndpointRouteBuilder app)
    {
        var deployments = app.MapGroup("/api/v1/deployments").WithTags("deployments");
        deployments.MapGet("", List).RequireAuthorization(Roles.DeploymentRead)
            .Produces<PageWire<DeploymentListItemWire>>().Produces<ErrorWire>(400).WithSummary("List deployments (filters garden, state, result)");
        deployments.MapGet("/{sid}", Get).RequireAuthorization(Roles.DeploymentRead)
            .Produces<DeploymentDetailWire>().Produces<ErrorWire>(404).WithSummary("One deployment with seeds, logs and events");
        deployments.MapPost("/{sid}/retry", Retry).RequireAuthorization(Roles.DeploymentWrite)
            .Produces<DeployAcceptedWire>(202).Produces<ErrorWire>(404).Produces<ErrorWire>(409).WithSummary("Retry as a linked deployment");
        deployments.MapPost("/{sid}/approve", Approve).RequireAuthorization(Roles.DeploymentWrite)
            .Produces<DeploymentDetailWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409).WithSummary("Approve a deployment awaiting approval");
        deployments.MapPost("/{sid}/reject", Reject).RequireAuthorization(Roles.DeploymentWrite)
            .Produces<DeploymentDetailWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409).WithSummary("Reject a deployment awaiting approval");

        app.MapPost("/api/v1/subscriptions/{sid}/deploy", Deploy).WithTags("subscriptions").RequireAuthorization(Roles.DeploymentWrite)
            .Accepts<DeployBody>("application/json").Produces<DeployAcceptedWire>(202).Produces<ErrorWire>(404).Produces<ErrorWire>(409).Produces<ErrorWire>(422)
            .WithSummary("Manual deploy of the subscription's latest (or an explicit matching) seed");
    }

    private static IResult List(HttpRequest request, ReadModelStore readModel)
    {
        var (page, perPage, error) = ApiWire.Paging(request);
        if (error is not null) return error;
        var problems = new List<string>();
        var garden = request.Query["garden"].ToString();
        DeploymentState? state = null;
        DeploymentResult? result = null;
        if (request.Query.TryGetValue("state", out var s))
        {
            if (DeploymentWire.TryParseState(s, out var parsed)) state = parsed;
            else problems.Add("state: must be awaiting_approval, dispatched, acknowledged, completed, stale or canceled");
        }
        if (request.Query.TryGetValue("result", out var r))
        {
            if (DeploymentWire.TryParseResult(r, out var parsed)) result = parsed;
            else problems.Add("result: must be success, failure, partial, skipped, warning or rolled_back");
        }
        if (problems.Count > 0) return ApiWire.Error(400, "invalid parameters", problems);
        var model = readModel.Current;
        string? NameOf(GardenId g) => model.Gardens.GetValueOrDefault(g.Value)?.Registration?.Name;
        var items = model.Deployments.Values
            .Where(d => string.IsNullOrEmpty(garden) || d.Garden.Value == garden
                        || (NameOf(d.Garden) ?? "").Contains(garden, StringComparison.OrdinalIgnoreCase))
            .Where(d => state is null || d.State == state)
            .Where(d => result is null || d.Result == result)
            .OrderByDescending(d => d.CreatedAt)
            .Select(d => ApiWire.DeploymentItem(d, NameOf(d.Garden)));
        return ApiWire.Ok(ApiWire.Page(items, page, perPage));
    }

    private static async Task<IResult> Get(string sid, IRequiredActor<DeploymentRegion> deployments)
    {
        var found = await Find(sid, deployments);
        return found is null ? ApiWire.NotFound() : ApiWire.Ok(ApiWire.DeploymentDetail(found));
    }

    private static async Task<DeploymentRecord?> Find(string sid, IRequiredActor<DeploymentRegion> deployments)
    {
        if (!Sid.IsValid(sid, DeploymentId.Prefix)) return null;
        var reply = await deployments.ActorRef.Ask<DeploymentFound>(new GetDeployment(new DeploymentId(sid)), AskTimeout);
        return reply.Deployment;
    }

    private static async Task<IResult> Retry(string sid, ClaimsPrincipal user, IRequiredActor<DeploymentRegion> deployments, IRequiredActor<GardenRegion> gardens)
    {
        var found = await Find(sid, deployments);
        if (found is null) return ApiWire.NotFound();
        var reply = await gardens.ActorRef.Ask(new RetryDeployment(found.Garden, found.Sid, ApiCaller.Actor(user)), AskTimeout);
        return Accepted(reply);
    }

    private static Task<IResult> Approve(string sid, ClaimsPrincipal user, IRequiredActor<DeploymentRegion> deployments) =>
        Decide(sid, deployments, id => new ApproveDeployment(id, ApiCaller.Actor(user)));

    private static Task<IResult> Reject(string sid, ClaimsPrincipal user, IRequiredActor<DeploymentRegion> deployments) =>
        Decide(sid, deployments, id => new RejectDeployment(id, ApiCaller.Actor(user)));

    private static async Task<IResult> Decide(string sid, IRequiredActor<DeploymentRegion> deployments, Func<DeploymentId, object> command)
    {
        if (!Sid.IsValid(sid, DeploymentId.Prefix)) return ApiWire.NotFound();
        var id = new DeploymentId(sid);
        var reply = await deployments.ActorRef.Ask(command(id), AskTimeout);
        if (reply is CommandFailed failed) return Failure(failed);
        var found = await Find(sid, deployments);
        return found is null ? ApiWire.NotFound() : ApiWire.Ok(ApiWire.DeploymentDetail(found));
    }

    private static async Task<IResult> Deploy(string sid, HttpContext http, ClaimsPrincipal user, IRequiredActor<SubscriptionRegion> subscriptions,
        IRequiredActor<GardenRegion> gardens, IRequiredActor<SeedRegion> seeds)
    {
        var (body, error) = await ApiWire.ReadBody<DeployBody>(http, required: false);
        if (error is not null) return error;
        var subscription = Sid.IsValid(sid, SubscriptionId.Prefix)
            ? (await subscriptions.ActorRef.Ask<SubscriptionQueries.SubscriptionFound>(new SubscriptionQueries.GetSubscription(new SubscriptionId(sid)), AskTimeout)).Subscription
            : null;
        if (subscription is null) return ApiWire.Error(404, "subscription_not_found", message: "Subscription not found");
        var garden = subscription.Garden;
        SeedInfo? explicitSeed = null;
        if (body?.SeedSid is { } seedSid)
        {
            if (!Sid.IsValid(seedSid, SeedId.Prefix)) return ApiWire.Error(422, "invalid request", ["seed_sid: must be a seed_ id"]);
            var found = await seeds.ActorRef.Ask<SeedFound>(new GetSeed(new SeedId(seedSid)), AskTimeout);
            if (found.Seed is null) return ApiWire.Error(404, "seed not found");
            explicitSeed = found.Seed;
        }
        var reply = await gardens.ActorRef.Ask(new DeploySubscription(garden, new SubscriptionId(sid), explicitSeed, ApiCaller.Actor(user)), AskTimeout);
        return Accepted(reply);
    }

    private static IResult Accepted(object reply) => reply switch
    {
        DeploymentRequested r => ApiWire.Ok(new DeployAcceptedWire(r.RequestId.Value, r.Deployment?.Value, r.AwaitingApproval), 202),
        CommandFailed f => Failure(f),
        _ => ApiWire.Unavailable(),
    };

    private static IResult Failure(CommandFailed f) => f.Code switch
    {
        "garden_not_found" => ApiWire.Error(404, f.Code, message: "Garden not found"),
        DeploymentPlanner.SubscriptionNotFound => ApiWire.Error(404, f.Code, message: "Subscription not found"),
        DeploymentPlanner.SeedsNotFound => ApiWire.Error(404, f.Code, message: "No matching seeds"),
        DeploymentEntityState.NotFound => ApiWire.NotFound(),
        DeploymentPlanner.PolicyDenied => ApiWire.Error(409, f.Code, message: "Denied by policy"),
        DeploymentPlanner.SeedNotMatching => ApiWire.Error(422, f.Code, message: "Seed does not match subscription"),
        DeploymentEntityState.Unauthorized => ApiWire.Error(403, "unauthorized", message: f.Message),
        _ => ApiWire.Error(409, f.Code, message: f.Message),
    };
}
