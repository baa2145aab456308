using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using NodaTime.Text;
using Sower.Actors.Server;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Subscriptions;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Gardens.GardenQueries;
using static Sower.Actors.Server.GardenProxyProtocol;

namespace Sower.Server.Gateway;

/// <summary>
/// The garden gateway (docs/gateway-protocol.md). Every connection is authenticated with the garden's own credential
/// and bound to that garden: every message is about that garden only, and anything naming another garden's deployment,
/// subscription or seed is refused. Each method validates its payload and answers with a GatewayReply.
/// </summary>
[Authorize(Policy = Roles.Garden)]
public sealed partial class GardenHub(
    GardenSessions sessions,
    IRequiredActor<GardenRegion> gardens,
    IRequiredActor<DeploymentRegion> deployments,
    IRequiredActor<SubscriptionRegion> subscriptions,
    ActorSystem system,
    IHubContext<GardenHub> hubContext,
    GatewayOptions options,
    ILogger<GardenHub> log) : Hub
{
    private static readonly TimeSpan ReattachEvery = TimeSpan.FromSeconds(30);

    public override Task OnConnectedAsync()
    {
        if (Context.User?.GardenSid() is not { } garden)
        {
            Context.Abort();
            return Task.CompletedTask;
        }
        sessions.Open(Context.ConnectionId, garden, Context);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (sessions.Close(Context.ConnectionId) is { } session)
        {
            session.Proxy?.Tell(GardenProxyActor.ConnectionLost.Instance);
            session.Dispose();
            log.LogInformation("garden {GardenId} connection {ConnectionId} closed", session.Garden, session.Connection);
        }
        return base.OnDisconnectedAsync(exception);
    }

    private GardenSession Session => sessions.Get(Context.ConnectionId) ?? throw new HubException("no garden session");

    [HubMethodName(GatewayProtocol.Join)]
    public async Task<GatewayReply> Join(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<JoinMessage>(payload, out var join, out var error)) return error!;
        var session = Session;
        if (join.ProtocolVersion != GatewayProtocol.Version)
        {
            var context = Context;
            // Answer first, then close: the garden must learn why it is refused.
            _ = Task.Delay(TimeSpan.FromMilliseconds(500)).ContinueWith(_ => context.Abort(), TaskScheduler.Default);
            return GatewayReply.Failure(GatewayErrors.IncompatibleProtocol,
                $"this server speaks gateway protocol {GatewayProtocol.Version}, the garden sent {join.ProtocolVersion?.ToString() ?? "none"}; upgrade the garden or the server");
        }
        var found = await gardens.ActorRef.Ask<GardenFound>(new GetGarden(session.Garden), options.AskTimeout);
        if (found.Garden is null) return GatewayReply.Failure(GatewayErrors.Unauthorized, "this garden is not enrolled");
        if (session.Proxy is null)
        {
            session.GardenName = found.Garden.Name;
            session.Proxy = system.ActorOf(GardenProxyActor.Props(session.Garden, session.Connection,
                new HubGardenConnection(hubContext, Context.ConnectionId, Context), gardens.ActorRef, ReattachEvery), "garden-proxy-" + session.Connection.Value);
            log.LogInformation("garden session established: {GardenId} ({Name}) on {ConnectionId}", session.Garden, found.Garden.Name, session.Connection);
        }
        // Joined means the session is recorded: what the garden sends next (its report, its results) is ordered after the
        // session's start, and the garden is never listed online without the time it came online. Idempotent for a re-join.
        var attached = await gardens.ActorRef.Ask(new AttachGardenProxy(session.Garden, session.Connection, session.Proxy), options.AskTimeout);
        if (attached is not GardenProxyAttached) return Failed(attached);
        return Ok(new JoinAccepted(session.Garden.Value, found.Garden.Name, session.Connection.Value, GatewayProtocol.Version));
    }

    [HubMethodName(GatewayProtocol.Ping)]
    public GatewayReply Ping(JsonElement payload) =>
        GatewayPayloads.TryRead<PingMessage>(payload, out var ping, out var error) ? Ok(new { @ref = ping.Ref }) : error!;

    [HubMethodName(GatewayProtocol.SubscriptionsSync)]
    public async Task<GatewayReply> SyncSubscriptions(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<SubscriptionsSyncMessage>(payload, out var sync, out var error)) return error!;
        if (sync.Subscriptions is null) return GatewayPayloads.Invalid("subscriptions", "required: a list of subscriptions");
        var session = Session;
        var problems = new List<GatewayFieldError>();
        var specs = ImmutableArray.CreateBuilder<SubscriptionSpec>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sync.Subscriptions.Count; i++)
        {
            var node = sync.Subscriptions[i];
            var name = node is JsonObject o && o["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (string.IsNullOrEmpty(name))
            {
                problems.Add(new($"subscriptions[{i}].name", "required: a non-empty string"));
                continue;
            }
            if (!names.Add(name))
            {
                problems.Add(new($"subscriptions.{name}", "duplicate subscription name"));
                continue;
            }
            var parsed = SubscriptionJson.Parse(name, node, $"subscriptions.{name}", session.GardenName);
            if (parsed.Ok && parsed.Value is not null) specs.Add(parsed.Value);
            else problems.AddRange(parsed.Problems.Select(p => new GatewayFieldError(p.Path, p.Message)));
        }
        // Labels apply to the sending garden only (the command names the session's garden, never one from the payload).
        ImmutableDictionary<string, string>? labels = null;
        if (sync.Labels is not null)
        {
            var parsedLabels = GardenLabels.Validate(sync.Labels.Select(kv =>
                KeyValuePair.Create(kv.Key, kv.Value is JsonValue lv && lv.TryGetValue<string>(out var text) ? text : null)));
            if (parsedLabels.Ok) labels = parsedLabels.Value;
            else problems.AddRange(parsedLabels.Problems.Select(p => new GatewayFieldError(p.Path, p.Message)));
        }
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var reply = await gardens.ActorRef.Ask(new SyncSubscriptions(session.Garden, specs.ToImmutable()) { Labels = labels }, options.AskTimeout);
        return reply switch
        {
            SubscriptionsSynced synced => Ok(new JsonObject
            {
                ["subscriptions"] = new JsonArray([.. synced.Subscriptions.Select(SubscriptionWire)]),
            }),
            _ => Failed(reply),
        };
    }

    [HubMethodName(GatewayProtocol.DeploymentRequest)]
    public async Task<GatewayReply> RequestDeployment(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<DeploymentRequestMessage>(payload, out var request, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        if (!Sid.IsValid(request.RequestId, RequestId.Prefix)) problems.Add(new("request_id", "required: a req_ id"));
        if (request.SubscriptionSids is not { Length: > 0 } subs) problems.Add(new("subscription_sids", "required: a non-empty list of subscription sids"));
        var trigger = Trigger.Manual;
        if (!Triggers.TryParse(request.Trigger, out trigger) || AuditReasons.ForGardenRequest(trigger) is null)
        {
            problems.Add(new("trigger", "must be manual, scheduled or poll_on_connect (a garden can never claim realtime)"));
        }
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var session = Session;
        var sids = request.SubscriptionSids!.Value.Select(s => new SubscriptionId(s)).ToImmutableArray();
        foreach (var sid in sids.Where(s => Sid.IsValid(s.Value, SubscriptionId.Prefix)))
        {
            var found = await subscriptions.ActorRef.Ask<SubscriptionQueries.SubscriptionFound>(new SubscriptionQueries.GetSubscription(sid), options.AskTimeout);
            if (found.Subscription is { } owned && owned.Garden != session.Garden)
            {
                return GatewayReply.Failure(GatewayErrors.Unauthorized, $"subscription {sid} belongs to another garden");
            }
        }
        var reply = await gardens.ActorRef.Ask(
            new RequestDeployment(session.Garden, new RequestId(request.RequestId!), sids, trigger, request.Force ?? false), options.AskTimeout);
        return reply switch
        {
            DeploymentRequested accepted => Ok(new
            {
                request_id = accepted.RequestId.Value,
                status = accepted.AwaitingApproval ? GatewayProtocol.RequestAwaitingApproval : GatewayProtocol.RequestAccepted,
            }),
            _ => Failed(reply),
        };
    }

    [HubMethodName(GatewayProtocol.DeploymentStatus)]
    public async Task<GatewayReply> DeploymentStatus(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<DeploymentStatusMessage>(payload, out var status, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        var deployment = DeploymentSid(status.DeploymentSid, problems);
        if (status.Status != "acknowledged") problems.Add(new("status", "must be \"acknowledged\""));
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var reply = await deployments.ActorRef.Ask(new AcknowledgeDeployment(deployment, Session.Garden), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { sid = deployment.Value }) : Failed(reply);
    }

    [HubMethodName(GatewayProtocol.DeploymentSeedStatus)]
    public async Task<GatewayReply> SeedStatus(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<SeedStatusMessage>(payload, out var status, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        var deployment = DeploymentSid(status.DeploymentSid, problems);
        var seed = SeedSid(status.SeedSid, problems);
        if (!DeploymentWire.TryParseSeedState(status.Status, out var state) || state == SeedDeploymentState.Pending)
        {
            problems.Add(new("status", "must be downloading, activating or completed"));
        }
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var reply = await deployments.ActorRef.Ask(new SetSeedStatus(deployment, Session.Garden, seed, state), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { }) : Failed(reply);
    }

    [HubMethodName(GatewayProtocol.DeploymentSeedResult)]
    public async Task<GatewayReply> SeedResult(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<SeedResultMessage>(payload, out var result, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        var deployment = DeploymentSid(result.DeploymentSid, problems);
        var seed = SeedSid(result.SeedSid, problems);
        SeedResult? seedResult = null;
        if (result.Result is not null)
        {
            if (DeploymentWire.TryParseSeedResult(result.Result, out var r)) seedResult = r;
            else problems.Add(new("result", "must be success, failure, skipped or null"));
        }
        ExecutedAction? action = null;
        if (result.Action is not null)
        {
            if (DeploymentWire.TryParseExecuted(result.Action, out var a)) action = a;
            else problems.Add(new("action", "must be none, stage, activate, restart or null"));
        }
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var reply = await deployments.ActorRef.Ask(new RecordSeedResult(deployment, Session.Garden, seed, seedResult, action, result.Log), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { }) : Failed(reply);
    }

    [HubMethodName(GatewayProtocol.DeploymentResult)]
    public async Task<GatewayReply> DeploymentResult(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<DeploymentResultMessage>(payload, out var result, out var error)) return error!;
        var problems = new List<GatewayFieldError>();
        var deployment = DeploymentSid(result.DeploymentSid, problems);
        if (!DeploymentWire.TryParseResult(result.Result, out var outcome)) problems.Add(new("result", "must be success, failure, partial, skipped, warning or rolled_back"));
        var deployedAt = InstantPattern.ExtendedIso.Parse(result.DeployedAt ?? "");
        if (!deployedAt.Success) problems.Add(new("deployed_at", "required: an ISO-8601 UTC time"));
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var reply = await deployments.ActorRef.Ask(new RecordDeploymentResult(deployment, Session.Garden, outcome, deployedAt.Value), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { sid = deployment.Value }) : Failed(reply);
    }

    [HubMethodName(GatewayProtocol.GardenSeedsReport)]
    public async Task<GatewayReply> SeedsReport(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<SeedsReportMessage>(payload, out var report, out var error)) return error!;
        if (report.Profiles is null) return GatewayPayloads.Invalid("profiles", "required: a list of profiles");
        var problems = new List<GatewayFieldError>();
        var profiles = ImmutableArray.CreateBuilder<ReportedProfile>();
        for (var i = 0; i < report.Profiles.Value.Length; i++)
        {
            var p = report.Profiles.Value[i];
            if (string.IsNullOrEmpty(p.ProfilePath)) { problems.Add(new($"profiles[{i}].profile_path", "required")); continue; }
            var generations = ImmutableArray.CreateBuilder<ReportedGeneration>();
            var list = p.Generations ?? [];
            for (var j = 0; j < list.Length; j++)
            {
                var g = list[j];
                if (string.IsNullOrEmpty(g.Path)) { problems.Add(new($"profiles[{i}].generations[{j}].path", "required")); continue; }
                generations.Add(new ReportedGeneration(g.Path, g.Link ?? "", g.Created ?? "", g.GenerationNumber, g.IsCurrent ?? false));
            }
            var tags = (p.Tags ?? []).Select(kv => new Tag(kv.Key, kv.Value ?? "")).ToImmutableArray();
            // The seed limits (SeedLimits) hold for reports too, whatever the server does with the tags.
            problems.AddRange(SeedLimits.CheckTags(tags, $"profiles[{i}].tags").Select(x => new GatewayFieldError(x.Path, x.Message)));
            profiles.Add(new ReportedProfile(p.ProfilePath, tags, generations.ToImmutable()));
        }
        if (problems.Count > 0) return GatewayPayloads.Invalid(problems);
        var reply = await gardens.ActorRef.Ask(new ReportGenerations(Session.Garden, profiles.ToImmutable()), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { }) : Failed(reply);
    }

    [HubMethodName(GatewayProtocol.GardenReport)]
    public async Task<GatewayReply> GardenReport(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<GardenReportMessage>(payload, out var report, out var error)) return error!;
        if (string.IsNullOrWhiteSpace(report.Version) || report.Version.Length > 200)
        {
            return GatewayPayloads.Invalid("version", "required: the garden's release version (at most 200 characters)");
        }
        var session = Session;
        var reply = await gardens.ActorRef.Ask(new ReportGardenVersion(session.Garden, report.Version), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { sid = session.Garden.Value }) : Failed(reply);
    }

    /// <summary>The garden's pending reboot and drift (issue 16.4), checked against the sending garden; only a change is persisted.</summary>
    [HubMethodName(GardenConditionReport.Method)]
    public async Task<GatewayReply> ConditionReport(JsonElement payload)
    {
        if (!GatewayPayloads.TryRead<GardenConditionMessage>(payload, out var report, out var error)) return error!;
        var session = Session;
        var (pending, drift, problems) = GardenConditionReport.Validate(report, session.Garden, NodaTime.SystemClock.Instance.GetCurrentInstant());
        if (problems.Any(p => p.Path == "garden_sid"))
        {
            log.LogWarning("garden {GardenId} sent a condition report naming another garden", session.Garden);
            return GatewayReply.Failure(GatewayErrors.Unauthorized, "a garden reports only its own condition");
        }
        if (!problems.IsEmpty) return GatewayPayloads.Invalid(problems.Select(p => new GatewayFieldError(p.Path, p.Message)));
        var reply = await gardens.ActorRef.Ask(new GardenConditionCommands.ReportGardenCondition(session.Garden, pending, drift), options.AskTimeout);
        return reply is CommandAccepted ? Ok(new { sid = session.Garden.Value }) : Failed(reply);
    }

    // ── helpers ──

    private static DeploymentId DeploymentSid(string? value, List<GatewayFieldError> problems)
    {
        if (!Sid.IsValid(value, DeploymentId.Prefix)) problems.Add(new("deployment_sid", "required: a dply_ id"));
        return new DeploymentId(value ?? "");
    }

    private static SeedId SeedSid(string? value, List<GatewayFieldError> problems)
    {
        if (!Sid.IsValid(value, SeedId.Prefix)) problems.Add(new("seed_sid", "required: a seed_ id"));
        return new SeedId(value ?? "");
    }

    private static JsonObject SubscriptionWire(Messages.Subscriptions.SubscriptionRecord record)
    {
        var json = SubscriptionJson.ToJson(record.Spec);
        json["sid"] = record.Sid.Value;
        json["name"] = record.Spec.Name;
        return json;
    }

    private static GatewayReply Ok(object body) => GatewayReply.Success(body as JsonNode ?? JsonSerializer.SerializeToNode(body, GatewayProtocol.Json));

    private static GatewayReply Failed(object reply) => reply is CommandFailed failed
        ? GatewayReply.Failure(failed.Code, failed.Message, [.. failed.Problems.Select(p => new GatewayFieldError(p.Path, p.Message))])
        : GatewayReply.Failure(GatewayErrors.Unavailable, "unexpected reply from the server");
}
