using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using NodaTime;
using Sower.Actors.Server;
using Sower.Actors.Server.Projections;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using Sower.Messages.Tokens;
using Sower.Server.Api;
using static Sower.Messages.Seeds.SeedCommands;

namespace Sower.Server.Cli;

/// <summary>
/// The CLI's side of the gateway (ARCHITECTURE §2.2): `sower seed submit` sends one SubmitSeed through this
/// authenticated hub to the seed entity and, with --wait, receives the rollout as a stream of events (README "Using the
/// CLI" lists their fields): <c>submitted</c>, <c>matched</c> per subscription, <c>deployment</c> snapshots, <c>log</c>
/// lines, then <c>done</c> — or a single <c>error</c>. `sower deployment follow` and `deploy --wait` use FollowDeployment.
/// Every stream is bounded by the caller's cancellation and by the server-side limit below.
/// </summary>
[Authorize]
public sealed class CliHub(
    IRequiredActor<SeedRegion> seeds,
    IRequiredActor<SeedLineRegion> lines,
    ReadModelStore readModel,
    IClock clock,
    ILogger<CliHub> log) : Hub
{
    public const string Path = "/hubs/cli";
    public const string SubmitSeedMethod = "SubmitSeed";
    public const string FollowDeploymentMethod = "FollowDeployment";
    public const string RecallSeedMethod = "RecallSeed";

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxStream = TimeSpan.FromHours(6);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Request <c>{name, seed_type, artifact, tags:[{key,value}], promote, rename, wait}</c>. The first event is
    /// <c>submitted</c> (or <c>error</c>); without <c>wait</c> the stream ends there.
    /// </summary>
    [HubMethodName(SubmitSeedMethod)]
    [Authorize(Policy = Roles.SeedWrite)]
    public ChannelReader<JsonObject> SubmitSeed(JsonElement request, CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<JsonObject>();
        var by = ApiCaller.Sid(Context.User!);
        _ = Task.Run(() => Run(channel.Writer, w => Submit(w, request, by, cancellation)), CancellationToken.None);
        return channel.Reader;
    }

    /// <summary>
    /// Request <c>{seed_sid, reason, force}</c>: recalls the seed (issue 16.2) and streams its rollout — <c>recalled</c>, then
    /// <c>matched</c> per subscription that runs it (decision for trigger recall), the replacement deployments created for this
    /// request, <c>done</c> — or a single <c>error</c> (not_found, already_recalled, invalid_reason).
    /// </summary>
    [HubMethodName(RecallSeedMethod)]
    [Authorize(Policy = Roles.SeedWrite)]
    public ChannelReader<JsonObject> RecallSeed(JsonElement request, CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<JsonObject>();
        var actor = ApiCaller.Actor(Context.User!);
        _ = Task.Run(() => Run(channel.Writer, w => Recall(w, request, actor, cancellation)), CancellationToken.None);
        return channel.Reader;
    }

    /// <summary>Streams one deployment (by <c>dply_</c> or by its <c>req_</c> request id) until it is settled.</summary>
    [HubMethodName(FollowDeploymentMethod)]
    [Authorize(Policy = Roles.DeploymentRead)]
    public ChannelReader<JsonObject> FollowDeployment(string sid, bool stopAtApproval, CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<JsonObject>();
        _ = Task.Run(() => Run(channel.Writer, w => Follow(w, sid ?? "", stopAtApproval, cancellation)), CancellationToken.None);
        return channel.Reader;
    }

    private async Task Run(ChannelWriter<JsonObject> writer, Func<ChannelWriter<JsonObject>, Task> body)
    {
        try
        {
            await body(writer);
        }
        catch (OperationCanceledException)
        {
            // The CLI went away or gave up waiting: nothing to report to anyone.
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException)
        {
            writer.TryWrite(Error("unavailable", ApiWire.UnavailableMessage));
        }
        catch (Exception e)
        {
            log.LogError(e, "CLI stream failed");
            writer.TryWrite(Error("internal_error", "the server failed while streaming; see its log"));
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async Task Submit(ChannelWriter<JsonObject> writer, JsonElement request, string by, CancellationToken cancellation)
    {
        var problems = new List<string>();
        if (request.ValueKind != JsonValueKind.Object)
        {
            await writer.WriteAsync(Error("invalid_seed", "the request must be a JSON object", ["body: must be a JSON object"]), cancellation);
            return;
        }
        var name = String(request, "name");
        var typeText = String(request, "seed_type");
        var artifact = String(request, "artifact");
        var promote = Bool(request, "promote");
        var rename = Bool(request, "rename");
        var wait = Bool(request, "wait");
        problems.AddRange(SeedLimits.CheckName(name).Select(p => p.ToString()));
        if (!SeedTypes.TryParse(typeText, out var type)) problems.Add($"seed_type: must be one of {string.Join(", ", SeedTypes.All.Select(t => t.ToWire()))}");
        if (StorePath.Validate(artifact) is { } pathError) problems.Add($"artifact: {pathError}");
        var tags = ImmutableArray.CreateBuilder<Tag>();
        if (request.TryGetProperty("tags", out var tagList) && tagList.ValueKind == JsonValueKind.Array)
        {
            foreach (var tag in tagList.EnumerateArray())
            {
                tags.Add(tag.ValueKind == JsonValueKind.Object ? new Tag(String(tag, "key") ?? "", String(tag, "value") ?? "") : new Tag("", ""));
            }
        }
        // The same limits as the REST API and garden reports (SeedLimits): one rule at every entry point.
        problems.AddRange(SeedLimits.CheckTags(tags).Select(p => p.ToString()));
        if (problems.Count > 0)
        {
            await writer.WriteAsync(Error("invalid_seed", "the seed was rejected: " + string.Join("; ", problems), problems), cancellation);
            return;
        }

        var command = new SubmitSeed(SeedIdentity.For(type, artifact!), name!, type, artifact!, tags.ToImmutable(), rename, promote, by);
        // What existed before this request: --wait follows only deployments created after it (issue 16.3), never the log of
        // an earlier deployment of the same seed.
        var older = readModel.Current.Deployments.Keys.ToHashSet(StringComparer.Ordinal);
        object answer;
        try
        {
            answer = await seeds.ActorRef.Ask(command, AskTimeout, cancellation);
        }
        catch (AskTimeoutException)
        {
            await writer.WriteAsync(Error("unavailable", ApiWire.SeedSubmitUnavailableMessage), cancellation);
            return;
        }
        if (answer is Messages.CommandFailed failed)
        {
            var errors = failed.Problems.Select(p => p.ToString()).ToList();
            await writer.WriteAsync(Error("invalid_seed", "the seed was rejected: " + string.Join("; ", errors), errors), cancellation);
            return;
        }
        if (answer is not SeedSubmissionResult reply)
        {
            await writer.WriteAsync(Error("unavailable", ApiWire.SeedSubmitUnavailableMessage), cancellation);
            return;
        }
        var seed = reply.Seed;
        var fanOut = reply.Created || promote;
        await writer.WriteAsync(new JsonObject
        {
            ["kind"] = "submitted",
            ["created"] = reply.Created,
            ["promoted"] = promote,
            ["fan_out"] = fanOut,
            ["seed"] = JsonSerializer.SerializeToNode(ApiWire.Seed(seed), ApiWire.Json),
        }, cancellation);
        if (!wait) return;
        if (!fanOut)
        {
            await writer.WriteAsync(RolloutTracker.Summary([], []), cancellation);
            return;
        }

        var matches = RolloutTracker.Match(readModel.Current, seed, clock.GetCurrentInstant());
        foreach (var match in matches) await writer.WriteAsync(RolloutTracker.MatchEvent(match), cancellation);
        var expected = matches.Where(m => m.ExpectsDeployment).ToList();
        var tracker = new RolloutTracker();
        // A line with a rollout plan offers the seed wave by wave (issue 14.2): the stream shows each wave and ends
        // when the rollout is over (completed, halted or aborted), not when every matched garden has deployed.
        var waves = new RolloutWaveWatch(lines.ActorRef, new SeedLineKey(type, name!), seed.Sid, clock.GetCurrentInstant());
        if (expected.Count > 0) await waves.Start(cancellation);
        await Watch(cancellation, async () =>
        {
            var model = readModel.Current;
            var found = new List<DeploymentRecord>();
            foreach (var match in expected)
            {
                if (RolloutTracker.DeploymentFor(model, match.Subscription, seed.Sid, older) is not { } d) continue;
                if (found.All(f => f.Sid != d.Sid)) found.Add(d);
            }
            foreach (var d in found)
            {
                foreach (var change in tracker.Changes(model, d)) await writer.WriteAsync(change, cancellation);
            }
            foreach (var wave in await waves.Poll(cancellation)) await writer.WriteAsync(wave, cancellation);
            var settled = waves.Planned && waves.Rollout is not null
                ? waves.Finished(clock.GetCurrentInstant()) && found.All(d => RolloutTracker.IsSettled(d, true))
                : expected.All(m => RolloutTracker.DeploymentFor(model, m.Subscription, seed.Sid, older) is { } d && RolloutTracker.IsSettled(d, true));
            if (!settled) return false;
            await writer.WriteAsync(RolloutTracker.Summary(matches, found, waves.Rollout), cancellation);
            return true;
        });
    }

    private async Task Recall(ChannelWriter<JsonObject> writer, JsonElement request, Actor actor, CancellationToken cancellation)
    {
        var sid = request.ValueKind == JsonValueKind.Object ? String(request, "seed_sid") : null;
        var reason = request.ValueKind == JsonValueKind.Object ? String(request, "reason") : null;
        var force = request.ValueKind == JsonValueKind.Object && Bool(request, "force");
        if (sid is null || !Sid.IsValid(sid, SeedId.Prefix))
        {
            await writer.WriteAsync(Error("not_found", $"no seed {sid}"), cancellation);
            return;
        }
        if (RecallReasons.Check(reason) is { } problem)
        {
            await writer.WriteAsync(Error(RecallReasons.InvalidReason, problem, [problem]), cancellation);
            return;
        }
        var older = readModel.Current.Deployments.Keys.ToHashSet(StringComparer.Ordinal);
        var answer = await seeds.ActorRef.Ask(new RecallSeed(new SeedId(sid), reason!, force, actor), AskTimeout, cancellation);
        if (answer is Messages.CommandFailed failed)
        {
            var code = failed.Code == SeedState.SeedNotFound ? "not_found" : failed.Code;
            await writer.WriteAsync(Error(code, failed.Message, [failed.Message]), cancellation);
            return;
        }
        if (answer is not SeedSubmissionResult reply)
        {
            await writer.WriteAsync(Error("unavailable", ApiWire.UnavailableMessage), cancellation);
            return;
        }
        var seed = reply.Seed;
        await writer.WriteAsync(new JsonObject
        {
            ["kind"] = "recalled",
            ["seed"] = JsonSerializer.SerializeToNode(ApiWire.Seed(seed), ApiWire.Json),
        }, cancellation);
        var matches = RolloutTracker.MatchRecall(readModel.Current, seed, force, clock.GetCurrentInstant());
        foreach (var match in matches) await writer.WriteAsync(RolloutTracker.MatchEvent(match), cancellation);
        var expected = matches.Where(m => m.ExpectsDeployment).ToList();
        var tracker = new RolloutTracker();
        await Watch(cancellation, async () =>
        {
            var model = readModel.Current;
            var found = expected.Select(m => RolloutTracker.RecallDeploymentFor(model, m.Subscription, older)).OfType<DeploymentRecord>().ToList();
            foreach (var d in found)
            {
                foreach (var change in tracker.Changes(model, d)) await writer.WriteAsync(change, cancellation);
            }
            if (found.Count < expected.Count || !found.All(d => RolloutTracker.IsSettled(d, true))) return false;
            await writer.WriteAsync(RolloutTracker.Summary(matches, found), cancellation);
            return true;
        });
    }

    private async Task Follow(ChannelWriter<JsonObject> writer, string sid, bool stopAtApproval, CancellationToken cancellation)
    {
        var byRequest = sid.StartsWith(RequestId.Prefix + "_", StringComparison.Ordinal);
        if (!Sid.IsValid(sid, byRequest ? RequestId.Prefix : DeploymentId.Prefix))
        {
            await writer.WriteAsync(Error("not_found", $"no deployment {sid}"), cancellation);
            return;
        }
        var tracker = new RolloutTracker();
        var notFoundAfter = clock.GetCurrentInstant() + Duration.FromSeconds(3);
        await Watch(cancellation, async () =>
        {
            var model = readModel.Current;
            var d = byRequest
                ? model.Deployments.Values.FirstOrDefault(x => x.RequestId.Value == sid)
                : model.Deployments.GetValueOrDefault(sid);
            if (d is null)
            {
                if (clock.GetCurrentInstant() < notFoundAfter) return false;
                await writer.WriteAsync(Error("not_found", $"no deployment {sid}"), cancellation);
                return true;
            }
            foreach (var change in tracker.Changes(model, d)) await writer.WriteAsync(change, cancellation);
            if (!RolloutTracker.IsSettled(d, stopAtApproval)) return false;
            await writer.WriteAsync(RolloutTracker.Summary([], [d]), cancellation);
            return true;
        });
    }

    /// <summary>Runs <paramref name="step"/> after every read-model change (and once a second) until it returns true.</summary>
    private async Task Watch(CancellationToken cancellation, Func<Task<bool>> step)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(MaxStream);
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnChange(ReadModelChanged _) => changed.Writer.TryWrite(true);
        readModel.Changed += OnChange;
        try
        {
            while (!await step())
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
                tick.CancelAfter(Poll);
                try
                {
                    await changed.Reader.ReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!limit.IsCancellationRequested)
                {
                    // The periodic re-check.
                }
            }
        }
        finally
        {
            readModel.Changed -= OnChange;
        }
    }

    private static JsonObject Error(string code, string message, IEnumerable<string>? errors = null) => new()
    {
        ["kind"] = "error",
        ["error"] = code,
        ["message"] = message,
        ["errors"] = new JsonArray([.. (errors ?? []).Select(e => (JsonNode?)e)]),
    };

    private static string? String(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
