using System.Collections.Immutable;
using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedLineQueries;
using static Sower.Messages.Seeds.SeedQueries;

namespace Sower.Server.Api;

/// <summary>Seed registry endpoints (REFERENCE §2, §6.14).</summary>
public static class SeedEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapSeedEndpoints(this IEndpointRouteBuilder app)
    {
        var seeds = app.MapGroup("/api/v1/seeds").WithTags("seeds");
        seeds.MapGet("", List).RequireAuthorization(Roles.SeedRead)
            .Produces<PageWire<SeedWire>>().Produces<ErrorWire>(400).Produces<ErrorWire>(404).WithSummary("List seeds (name and seed_type together filter)");
        seeds.MapGet("/latest", Latest).RequireAuthorization(Roles.SeedRead)
            .Produces<SeedWire>().Produces<ErrorWire>(400).Produces<ErrorWire>(404).WithSummary("Latest seed matching name, seed_type and tags[]");
        seeds.MapGet("/{sid}", Get).RequireAuthorization(Roles.SeedRead).Produces<SeedWire>().Produces<ErrorWire>(404).WithSummary("One seed");
        seeds.MapPost("", Submit).RequireAuthorization(Roles.SeedWrite).Accepts<SubmitSeedBody>("application/json")
            .Produces<SeedWire>(201).Produces<SeedWire>(200).Produces<ErrorWire>(422).WithSummary("Submit or re-submit a seed (rename, promote)");
        seeds.MapPost("/{sid}/retire", Retire).RequireAuthorization(Roles.SeedWrite)
            .Produces<SeedWire>().Produces<ErrorWire>(404).WithSummary("Retire a seed: kept for history, never latest, never realtime");
        seeds.MapPost("/{sid}/recall", Recall).RequireAuthorization(Roles.SeedWrite).Accepts<RecallSeedBody>("application/json")
            .Produces<SeedWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409).Produces<ErrorWire>(422)
            .WithSummary("Recall a seed: never deployed again; subscriptions running it get the newest non-recalled seed (trigger recall)");
        seeds.MapPost("/{sid}/unrecall", Unrecall).RequireAuthorization(Roles.SeedWrite)
            .Produces<SeedWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409).WithSummary("Undo a recall: the seed may be chosen again");
        seeds.MapDelete("/{sid}/tags", RemoveTag).RequireAuthorization(Roles.SeedWrite)
            .Produces<SeedWire>().Produces<ErrorWire>(400).Produces<ErrorWire>(404).WithSummary("Remove one tag (?key=…&value=…) from a seed");
    }

    private static async Task<IResult> List(HttpRequest request, ReadModelStore readModel, IRequiredActor<SeedLineRegion> lines)
    {
        var (page, perPage, error) = ApiWire.Paging(request);
        if (error is not null) return error;
        var name = request.Query["name"].ToString();
        var type = request.Query["seed_type"].ToString();
        var hasName = request.Query.ContainsKey("name");
        var hasType = request.Query.ContainsKey("seed_type");
        if (hasName != hasType)
        {
            return ApiWire.Error(400, "invalid parameters", ["name and seed_type filter together: give both or neither"]);
        }
        if (!hasName)
        {
            var all = readModel.Current.Seeds.Values.Select(s => s.Seed).OfType<SeedInfo>()
                .OrderByDescending(s => s.Recency).ThenByDescending(s => s.CreatedAt).Select(ApiWire.Seed);
            return ApiWire.Ok(ApiWire.Page(all, page, perPage));
        }
        var problems = new List<string>();
        if (string.IsNullOrEmpty(name)) problems.Add("name: must not be empty");
        if (!SeedTypes.TryParse(type, out var seedType)) problems.Add($"seed_type: must be one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");
        if (problems.Count > 0) return ApiWire.Error(400, "invalid parameters", problems);
        var reply = await lines.ActorRef.Ask<SeedsInLine>(new GetSeedsInLine(new SeedLineKey(seedType, name), (page - 1) * perPage, perPage), AskTimeout);
        if (reply.Total == 0) return ApiWire.NotFound("seed not found");
        return ApiWire.Ok(new PageWire<SeedWire>([.. reply.Seeds.Select(ApiWire.Seed)], page, perPage, reply.Total));
    }

    private static async Task<IResult> Latest(HttpRequest request, IRequiredActor<SeedLineRegion> lines)
    {
        var problems = new List<string>();
        var name = request.Query["name"].ToString();
        if (string.IsNullOrEmpty(name)) problems.Add("name: required");
        if (!SeedTypes.TryParse(request.Query["seed_type"].ToString(), out var seedType))
        {
            problems.Add($"seed_type: required, one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");
        }
        var rules = ImmutableArray.CreateBuilder<Rule>();
        foreach (var tag in request.Query["tags[]"].Concat(request.Query["tags"]))
        {
            var eq = tag?.IndexOf('=') ?? -1;
            if (tag is null || eq <= 0) problems.Add($"tags[]: \"{tag}\" is not key=value");
            else rules.Add(Rule.Equal(tag[..eq], tag[(eq + 1)..]));
        }
        if (problems.Count > 0) return ApiWire.Error(400, "invalid parameters", problems);
        var reply = await lines.ActorRef.Ask<LatestMatchingSeed>(
            new GetLatestMatchingSeed(new SeedLineKey(seedType, name), rules.ToImmutable(), "api"), AskTimeout);
        return reply.Seed is null ? ApiWire.NotFound("seed not found") : ApiWire.Ok(ApiWire.Seed(reply.Seed));
    }

    private static async Task<IResult> Get(string sid, IRequiredActor<SeedRegion> seedRegion)
    {
        if (!Sid.IsValid(sid, SeedId.Prefix)) return ApiWire.NotFound();
        var reply = await seedRegion.ActorRef.Ask<SeedFound>(new GetSeed(new SeedId(sid)), AskTimeout);
        return reply.Seed is null ? ApiWire.NotFound() : ApiWire.Ok(ApiWire.Seed(reply.Seed));
    }

    private static async Task<IResult> Submit(HttpContext http, ClaimsPrincipal user, IRequiredActor<SeedRegion> seedRegion)
    {
        var (body, error) = await ApiWire.ReadBody<SubmitSeedBody>(http);
        if (error is not null) return error;
        var problems = new List<string>();
        if (!TryFlag(http.Request, "rename", out var rename)) problems.Add("rename: must be true or false");
        if (!TryFlag(http.Request, "promote", out var promote)) problems.Add("promote: must be true or false");
        problems.AddRange(SeedLimits.CheckName(body!.Name).Select(p => p.ToString()));
        if (!SeedTypes.TryParse(body.SeedType, out var type)) problems.Add($"seed_type: must be one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");
        if (StorePath.Validate(body.Artifact) is { } pathError) problems.Add($"artifact: {pathError}");
        var tags = (body.Tags ?? []).Select(t => new Tag(t?.Key ?? "", t?.Value ?? "")).ToImmutableArray();
        problems.AddRange(SeedLimits.CheckTags(tags).Select(p => p.ToString()));
        if (problems.Count > 0) return ApiWire.Error(422, "invalid seed", problems);
        var command = new SubmitSeed(SeedIdentity.For(type, body.Artifact!), body.Name!, type, body.Artifact!, tags, rename, promote,
            ApiCaller.Sid(user));
        // A submission is idempotent by (type, artifact): if this ask times out, the 503 says the seed may exist and
        // that sending the same request again is safe (it answers 200 with the same seed).
        object answer;
        try
        {
            answer = await seedRegion.ActorRef.Ask(command, AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return ApiWire.Error(StatusCodes.Status503ServiceUnavailable, "unavailable", message: ApiWire.SeedSubmitUnavailableMessage);
        }
        return answer switch
        {
            SeedSubmissionResult reply => ApiWire.Ok(ApiWire.Seed(reply.Seed), reply.Created ? 201 : 200),
            Messages.CommandFailed failed => ApiWire.Error(422, "invalid seed", [.. failed.Problems.Select(p => p.ToString())]),
            _ => ApiWire.Unavailable(),
        };
    }

    private static async Task<IResult> Retire(string sid, ClaimsPrincipal user, IRequiredActor<SeedRegion> seedRegion)
    {
        if (!Sid.IsValid(sid, SeedId.Prefix)) return ApiWire.NotFound();
        return SeedReply(await seedRegion.ActorRef.Ask(new RetireSeed(new SeedId(sid), ApiCaller.Actor(user)), AskTimeout));
    }

    private static async Task<IResult> Recall(string sid, HttpRequest request, ClaimsPrincipal user, IRequiredActor<SeedRegion> seedRegion)
    {
        if (!Sid.IsValid(sid, SeedId.Prefix)) return ApiWire.NotFound();
        RecallSeedBody? body;
        try
        {
            body = await request.ReadFromJsonAsync<RecallSeedBody>(ApiWire.Json);
        }
        catch (System.Text.Json.JsonException e)
        {
            return ApiWire.Error(422, "invalid recall", [$"body: {e.Message}"]);
        }
        if (RecallReasons.Check(body?.Reason) is { } problem) return ApiWire.Error(422, "invalid recall", [problem]);
        var reply = await seedRegion.ActorRef.Ask(new RecallSeed(new SeedId(sid), body!.Reason!, body.Force, ApiCaller.Actor(user)), AskTimeout);
        return RecallReply(reply);
    }

    private static async Task<IResult> Unrecall(string sid, ClaimsPrincipal user, IRequiredActor<SeedRegion> seedRegion)
    {
        if (!Sid.IsValid(sid, SeedId.Prefix)) return ApiWire.NotFound();
        return RecallReply(await seedRegion.ActorRef.Ask(new UnrecallSeed(new SeedId(sid), ApiCaller.Actor(user)), AskTimeout));
    }

    /// <summary>404 for an unknown seed, 409 for recall twice or unrecall of a seed not recalled, 422 for a bad reason.</summary>
    public static IResult RecallReply(object reply) => reply switch
    {
        SeedSubmissionResult r => ApiWire.Ok(ApiWire.Seed(r.Seed)),
        Messages.CommandFailed { Code: SeedState.SeedNotFound } => ApiWire.NotFound(),
        Messages.CommandFailed { Code: SeedState.AlreadyRecalled or SeedState.NotRecalled } f => ApiWire.Error(409, f.Code, [f.Message], f.Message),
        Messages.CommandFailed f => ApiWire.Error(422, "invalid recall", [f.Message], f.Message),
        _ => ApiWire.Unavailable(),
    };

    private static async Task<IResult> RemoveTag(string sid, HttpRequest request, ClaimsPrincipal user, IRequiredActor<SeedRegion> seedRegion)
    {
        if (!Sid.IsValid(sid, SeedId.Prefix)) return ApiWire.NotFound();
        var key = request.Query["key"].ToString();
        if (string.IsNullOrEmpty(key) || !request.Query.ContainsKey("value"))
        {
            return ApiWire.Error(400, "invalid parameters", ["key and value: required (the value may be empty)"]);
        }
        var tag = new Tag(key, request.Query["value"].ToString());
        return SeedReply(await seedRegion.ActorRef.Ask(new RemoveSeedTag(new SeedId(sid), tag, ApiCaller.Actor(user)), AskTimeout));
    }

    private static IResult SeedReply(object reply) => reply switch
    {
        SeedSubmissionResult r => ApiWire.Ok(ApiWire.Seed(r.Seed)),
        _ => ApiWire.NotFound(),
    };

    private static bool TryFlag(HttpRequest request, string name, out bool value)
    {
        value = false;
        if (!request.Query.TryGetValue(name, out var raw)) return true;
        return bool.TryParse(raw.ToString(), out value);
    }
}

public static class ApiCaller
{
    /// <summary>Who did it, for audit: the acting token's sid and description (a garden credential: its garden).</summary>
    public static Sower.Messages.Domain.Actor Actor(ClaimsPrincipal user) => user.AuditActor();

    /// <summary>The acting token's sid, where a record still keeps only a sid (a seed's <c>registered_by</c>, which is
    /// also the actor of the realtime deployments it starts).</summary>
    public static string Sid(ClaimsPrincipal user) => user.AuditActor().Sid;
}

/// <summary>Body of <c>POST /api/v1/seeds/{sid}/recall</c>: why (required, printable, at most 500 characters) and whether the
/// replacement acts now regardless of policy windows.</summary>
public sealed record RecallSeedBody(string? Reason, bool Force = false);
