using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.Server.NixCaches;
using Sower.Messages.NixCaches;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheQueries;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Server.Api;

/// <summary>The Nix cache registry (REFERENCE §6.3, §6.14): the binary caches clients may trust.</summary>
public static class NixCacheEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapNixCacheEndpoints(this IEndpointRouteBuilder app)
    {
        var caches = app.MapGroup("/api/v1/nix/caches").WithTags("nix caches");
        caches.MapGet("", List).RequireAuthorization(AuthorizationPolicies.ReadNixCaches).Produces<IReadOnlyList<NixCacheWire>>()
            .WithSummary("List the Nix caches (roles seed:read, seed:write or nix-cache:read)");
        caches.MapPost("", Create).RequireAuthorization(Roles.Admin).Accepts<NixCacheBody>("application/json")
            .Produces<NixCacheWire>(201).Produces<ErrorWire>(409).Produces<ErrorWire>(422).WithSummary("Add a Nix cache");
        caches.MapPut("/{sid}", Edit).RequireAuthorization(Roles.Admin).Accepts<NixCacheBody>("application/json")
            .Produces<NixCacheWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(409).Produces<ErrorWire>(422).WithSummary("Edit a Nix cache");
        caches.MapDelete("/{sid}", Delete).RequireAuthorization(Roles.Admin).Produces(204).Produces<ErrorWire>(404).WithSummary("Remove a Nix cache");
    }

    private static async Task<IResult> List(IRequiredActor<NixCachesActorKey> registry)
    {
        var list = await registry.ActorRef.Ask<NixCacheList>(GetNixCaches.Instance, AskTimeout);
        return ApiWire.Ok(list.Caches.Select(Wire).ToList());
    }

    private static async Task<IResult> Create(HttpContext http, IRequiredActor<NixCachesActorKey> registry)
    {
        var (body, error) = await ApiWire.ReadBody<NixCacheBody>(http);
        if (error is not null) return error;
        var problems = NixCacheRegistry.Validate(body!.Url, body.PublicKey);
        if (problems.Length > 0) return ApiWire.Error(422, "invalid nix cache", problems);
        return Reply(await registry.ActorRef.Ask(new AddNixCache(body.Url!, body.PublicKey!, http.User.AuditActor()), AskTimeout), 201);
    }

    private static async Task<IResult> Edit(string sid, HttpContext http, IRequiredActor<NixCachesActorKey> registry)
    {
        if (!Messages.Domain.Sid.IsValid(sid, NixCache.Prefix)) return ApiWire.NotFound();
        var (body, error) = await ApiWire.ReadBody<NixCacheBody>(http);
        if (error is not null) return error;
        var problems = NixCacheRegistry.Validate(body!.Url, body.PublicKey);
        if (problems.Length > 0) return ApiWire.Error(422, "invalid nix cache", problems);
        return Reply(await registry.ActorRef.Ask(new EditNixCache(sid, body.Url!, body.PublicKey!, http.User.AuditActor()), AskTimeout), 200);
    }

    private static async Task<IResult> Delete(string sid, System.Security.Claims.ClaimsPrincipal user, IRequiredActor<NixCachesActorKey> registry)
    {
        if (!Messages.Domain.Sid.IsValid(sid, NixCache.Prefix)) return ApiWire.NotFound();
        return Reply(await registry.ActorRef.Ask(new RemoveNixCache(sid, user.AuditActor()), AskTimeout), 204);
    }

    private static IResult Reply(object reply, int status) => reply switch
    {
        NixCacheSaved saved => ApiWire.Ok(Wire(saved.Cache), status),
        NixCacheRemovalConfirmed => Results.NoContent(),
        NixCacheError { Code: NixCacheErrorCodes.NotFound } => ApiWire.NotFound(),
        NixCacheError { Code: NixCacheErrorCodes.Duplicate } e => ApiWire.Error(409, "duplicate nix cache", e.Errors),
        NixCacheError e => ApiWire.Error(422, "invalid nix cache", e.Errors),
        _ => ApiWire.Unavailable(),
    };

    private static NixCacheWire Wire(NixCache c) => new(c.Sid, c.Url, c.PublicKey);
}
