using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Sower.Actors.Server;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Gardens.GardenQueries;

namespace Sower.Server.Api;

/// <summary>Server-side garden labels (issue 14.1): an admin sets and removes them; they win over the garden's own.</summary>
public static class GardenLabelEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapGardenLabelEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/gardens/{sid}/labels", Change).WithTags("gardens").RequireAuthorization(Roles.Admin).Accepts<GardenLabelsBody>("application/json")
            .Produces<GardenLabelsWire>().Produces<ErrorWire>(404).Produces<ErrorWire>(422)
            .WithSummary("Set (\"set\": {key: value}) and remove (\"remove\": [key]) server-side labels; they win over the garden's own");
    }

    /// <summary>The <c>label_selector</c> query parameter: null when absent, otherwise parsed (a 422 names what is wrong).</summary>
    public static (LabelSelector? Selector, IResult? Error) Selector(HttpRequest request)
    {
        if (!request.Query.TryGetValue("label_selector", out var values)) return (null, null);
        if (values.Count > 1) return (null, ApiWire.Error(422, "invalid label selector", ["label_selector: give it once; join requirements with ','"]));
        var parsed = LabelSelector.Parse(values.ToString(), "label_selector");
        return parsed.Ok ? (parsed.Value, null) : (null, ApiWire.Error(422, "invalid label selector", [.. parsed.Problems.Select(p => p.ToString())]));
    }

    private static async Task<IResult> Change(string sid, HttpContext http, ClaimsPrincipal user, IRequiredActor<GardenRegion> gardens)
    {
        if (!Sid.IsValid(sid, GardenId.Prefix)) return ApiWire.NotFound();
        var (body, error) = await ApiWire.ReadBody<GardenLabelsBody>(http);
        if (error is not null) return error;
        var problems = new List<string>();
        var set = GardenLabels.None;
        if (body!.Set is { } raw)
        {
            var parsed = GardenLabels.Validate(raw.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString() : null)), "set");
            if (parsed.Ok) set = parsed.Value!;
            else problems.AddRange(parsed.Problems.Select(p => p.ToString()));
        }
        var remove = ImmutableArray.CreateBuilder<string>();
        foreach (var key in body.Remove ?? [])
        {
            if (GardenLabels.KeyProblem(key) is { } problem) problems.Add($"remove: {problem}");
            else if (set.ContainsKey(key!)) problems.Add($"remove: \"{key}\" is also set");
            else remove.Add(key!);
        }
        if (remove.Count > GardenLabels.MaxLabels) problems.Add($"remove: at most {GardenLabels.MaxLabels} keys");
        if (set.Count == 0 && remove.Count == 0 && problems.Count == 0) problems.Add("body: nothing to change (give \"set\" and/or \"remove\")");
        if (problems.Count > 0) return ApiWire.Error(422, "invalid labels", problems);
        var reply = await gardens.ActorRef.Ask(new ChangeGardenLabels(new GardenId(sid), set, remove.ToImmutable(), user.AuditActor()), AskTimeout);
        if (reply is Sower.Messages.CommandFailed { Code: GardenLabels.TooManyLabels } tooMany) return ApiWire.Error(422, "invalid labels", [tooMany.Message]);
        if (reply is not GardenFound { Garden: { } garden }) return ApiWire.NotFound();
        return ApiWire.Ok(Wire(garden));
    }

    public static GardenLabelsWire Wire(GardenView g) => new(g.Sid.Value, g.Name, Sorted(g.Labels), Sorted(g.OwnLabels), Sorted(g.AdminLabels));

    public static IReadOnlyDictionary<string, string> Sorted(ImmutableDictionary<string, string>? labels) =>
        (labels ?? GardenLabels.None).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value);
}

public sealed record GardenLabelsBody(Dictionary<string, JsonElement>? Set, IReadOnlyList<string?>? Remove);

/// <param name="Labels">The effective labels selectors see: the admin's win over the garden's own.</param>
public sealed record GardenLabelsWire(string Sid, string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> OwnLabels,
    IReadOnlyDictionary<string, string> AdminLabels);
