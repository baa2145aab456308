using System.Collections.Concurrent;
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
using Sower.Messages.Tokens;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Seeds.SeedQueries;

namespace Sower.Server.Api;

/// <summary>
/// A manual deploy to every garden a label selector matches (issue 14.1, <c>sower deploy -l</c>): for each matching
/// garden, each of its subscriptions chosen by name and/or seed type is deployed exactly like
/// <c>POST /subscriptions/{sid}/deploy</c> (trigger manual, under that subscription's policy, audited with the caller), and
/// the answer says per garden what happened. A selector that matches no garden is refused, so a typo deploys nothing.
/// </summary>
public static class SelectorDeployEndpoints
{
    /// <summary>A selector matching more gardens than this is refused: narrow it (or deploy in waves with a rollout plan).</summary>
    public const int MaxGardens = 1000;

    private const int Parallelism = 8;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapSelectorDeployEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/deployments/by-selector", Deploy).WithTags("deployments").RequireAuthorization(Roles.DeploymentWrite)
            .Accepts<SelectorDeployBody>("application/json").Produces<SelectorDeployWire>(202).Produces<ErrorWire>(404).Produces<ErrorWire>(422)
            .WithSummary("Manual deploy to every garden matching label_selector (its subscriptions named subscription and/or of seed_type)");
    }

    private static async Task<IResult> Deploy(HttpContext http, ClaimsPrincipal user, ReadModelStore readModel, IRequiredActor<GardenRegion> gardens,
        IRequiredActor<SeedRegion> seeds, ILoggerFactory logs)
    {
        var (body, error) = await ApiWire.ReadBody<SelectorDeployBody>(http);
        if (error is not null) return error;
        var problems = new List<string>();
        LabelSelector? selector = null;
        if (string.IsNullOrWhiteSpace(body!.LabelSelector)) problems.Add("label_selector: required, e.g. role=web,zone=eu-1");
        else
        {
            var parsed = LabelSelector.Parse(body.LabelSelector, "label_selector");
            if (parsed.Ok) selector = parsed.Value;
            else problems.AddRange(parsed.Problems.Select(p => p.ToString()));
        }
        if (body.Subscription is { } name && (name.Length is 0 or > 200 || name.Any(char.IsControl)))
        {
            problems.Add("subscription: a subscription name, 1–200 characters without control characters");
        }
        SeedType? type = null;
        if (body.SeedType is { } typeText)
        {
            if (SeedTypes.TryParse(typeText, out var parsedType)) type = parsedType;
            else problems.Add($"seed_type: one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");
        }
        if (body.SeedSid is { } seedSid && !Sid.IsValid(seedSid, SeedId.Prefix)) problems.Add("seed_sid: must be a seed_ id");
        if (problems.Count > 0) return ApiWire.Error(422, "invalid request", problems);

        var model = readModel.Current;
        var matched = model.Gardens.Values.Where(g => g.Exists && selector!.Matches(g.Labels))
            .OrderBy(g => g.Registration!.Name, StringComparer.Ordinal).ThenBy(g => g.Sid.Value, StringComparer.Ordinal).ToList();
        if (matched.Count == 0)
        {
            return ApiWire.Error(404, "no_gardens_match", message: $"no garden matches the label selector {selector}; nothing was deployed");
        }
        if (matched.Count > MaxGardens)
        {
            return ApiWire.Error(422, "too_many_gardens", ["label_selector: matches " + matched.Count + $" gardens, at most {MaxGardens} per request; narrow it"]);
        }
        SeedInfo? explicitSeed = null;
        if (body.SeedSid is { } wanted)
        {
            var found = await seeds.ActorRef.Ask<SeedFound>(new GetSeed(new SeedId(wanted)), AskTimeout);
            if (found.Seed is null) return ApiWire.Error(404, "seed not found");
            explicitSeed = found.Seed;
        }

        var actor = ApiCaller.Actor(user);
        // Not bound to the request: a client that goes away mid-way must not leave the batch half requested.
        var results = new ConcurrentDictionary<(int Garden, int Subscription), SelectorDeployResultWire>();
        var work = new List<(int Garden, int Subscription, GardenState Garden2, Messages.Subscriptions.SubscriptionRecord? Sub)>();
        for (var i = 0; i < matched.Count; i++)
        {
            var g = matched[i];
            var subs = g.Subscriptions.Values
                .Where(s => (body.Subscription is null || s.Spec.Name == body.Subscription) && (type is null || s.Spec.SeedType == type))
                .OrderBy(s => s.Spec.Name, StringComparer.Ordinal).ToList();
            if (subs.Count == 0) work.Add((i, 0, g, null));
            for (var j = 0; j < subs.Count; j++) work.Add((i, j, g, subs[j]));
        }
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (item, _) =>
        {
            var name = item.Garden2.Registration!.Name;
            if (item.Sub is not { } sub)
            {
                results[(item.Garden, item.Subscription)] = new SelectorDeployResultWire(item.Garden2.Sid.Value, name, null, null, "skipped", null, null, false,
                    NoSubscription(body.Subscription, type));
                return;
            }
            object reply;
            try
            {
                reply = await gardens.ActorRef.Ask(new DeploySubscription(item.Garden2.Sid, sub.Sid, explicitSeed, actor), AskTimeout);
            }
            catch (AskTimeoutException)
            {
                reply = new CommandFailed("unavailable", "the garden's entity did not answer in time; try again", []);
            }
            results[(item.Garden, item.Subscription)] = reply switch
            {
                DeploymentRequested r => new SelectorDeployResultWire(item.Garden2.Sid.Value, name, sub.Sid.Value, sub.Spec.Name,
                    r.AwaitingApproval ? "awaiting_approval" : "requested", r.RequestId.Value, r.Deployment?.Value, r.AwaitingApproval, null),
                CommandFailed f => new SelectorDeployResultWire(item.Garden2.Sid.Value, name, sub.Sid.Value, sub.Spec.Name,
                    f.Code == DeploymentPlanner.PolicyDenied ? "denied_by_policy" : "refused", null, null, false, f.Message is { Length: > 0 } m ? m : f.Code),
                _ => new SelectorDeployResultWire(item.Garden2.Sid.Value, name, sub.Sid.Value, sub.Spec.Name, "refused", null, null, false, "unexpected reply"),
            };
        });
        var ordered = results.OrderBy(r => r.Key.Garden).ThenBy(r => r.Key.Subscription).Select(r => r.Value).ToList();
        var requested = ordered.Count(r => r.Outcome is "requested" or "awaiting_approval");
        logs.CreateLogger("Sower.Deployments").LogInformation(
            "manual deploy by {Actor} to label selector {Selector}: {Gardens} gardens matched, {Requested} deployments requested, {Refused} refused, {Skipped} skipped",
            actor.Sid, selector!.ToString(), matched.Count, requested, ordered.Count(r => r.Outcome is "refused" or "denied_by_policy"),
            ordered.Count(r => r.Outcome == "skipped"));
        return ApiWire.Ok(new SelectorDeployWire(selector.ToString(), matched.Count, requested,
            ordered.Count(r => r.Outcome == "awaiting_approval"), ordered.Count(r => r.Outcome == "denied_by_policy"),
            ordered.Count(r => r.Outcome == "refused"), ordered.Count(r => r.Outcome == "skipped"), ordered), 202);
    }

    private static string NoSubscription(string? name, SeedType? type) => (name, type) switch
    {
        (null, null) => "the garden has no subscription",
        ({ } n, null) => $"the garden has no subscription named {n}",
        (null, { } t) => $"the garden has no {t.ToWire()} subscription",
        ({ } n, { } t) => $"the garden has no {t.ToWire()} subscription named {n}",
    };
}

public sealed record SelectorDeployBody(string? LabelSelector, string? Subscription, string? SeedType, string? SeedSid);

/// <summary>One garden's (and subscription's) outcome: requested, awaiting_approval, denied_by_policy, refused or skipped.</summary>
public sealed record SelectorDeployResultWire(string GardenSid, string GardenName, string? SubscriptionSid, string? SubscriptionName, string Outcome,
    string? RequestId, string? DeploymentSid, bool AwaitingApproval, string? Error);

public sealed record SelectorDeployWire(string LabelSelector, int Gardens, int Requested, int AwaitingApproval, int DeniedByPolicy, int Refused, int Skipped,
    IReadOnlyList<SelectorDeployResultWire> Results);
