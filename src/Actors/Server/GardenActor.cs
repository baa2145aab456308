using System.Collections.Immutable;
using Akka.Actor;
using Sower.Actors.Metrics;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using NodaTime.Text;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;
using Sower.Actors.Server.Tokens;
using static Sower.Actors.Server.GardenProxyProtocol;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Gardens.GardenEvents;
using static Sower.Messages.Gardens.GardenQueries;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineQueries;

namespace Sower.Actors.Server;

/// <summary>
/// One garden (sharded, persistent, id = GardenIdentity.For(host identifier)). It owns enrollment, the synced
/// subscriptions, reported generations and presence, and it runs the creation algorithm (REFERENCE §6.4) for every
/// trigger, one creation at a time, so duplicate suppression and supersede are serialized per garden. It pushes
/// deployments to its live GardenProxy (not persisted) and reconciles after every new session (§6.7).
/// </summary>
public sealed class GardenActor : ServerEntityActor<GardenState, IGardenEvent>, IWithTimers
{
    private const string ResolveTimer = "resolve";
    private const string CreationTimer = "creation";
    private readonly IClock _clock;
    private readonly ShardRefs _shards;
    private readonly ServerEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly GardenId _gid;
    private IActorRef? _proxy;
    private ConnectionId? _connection;

    // The creation being resolved (asking seed lines for their latest matching seeds).
    private CreationJob? _job;
    private Dictionary<SubscriptionId, SeedInfo?> _latest = new();
    private HashSet<string> _awaiting = new(StringComparer.Ordinal);

    // Realtime deliveries already turned into a deployment (seed line/subscription → delivery id), so a re-sent delivery
    // is only acknowledged again, never re-planned and re-pushed. In memory: after a restart the planner's duplicate
    // check still prevents a second deployment.
    private readonly Dictionary<string, long> _realtimeHandled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _realtimeStarted = new(StringComparer.Ordinal);

    // Deployments created here whose entity has not confirmed its creation yet (it answers CreateDeployment with
    // DeploymentChanged) are re-sent until it does: a shard that stops under a busy journal (remembered entities not
    // loaded in time) drops the messages it held, and a deployment the garden was pushed but the server never created is
    // lost. They are persisted (GardenState.PendingCreations), so a restart of this entity does not forget them.

    public GardenActor(string entityId, IClock clock, ShardRefs shards, ServerEntitySettings settings)
        : base("garden", entityId, GardenState.Empty(new GardenId(entityId)), (s, e) => s.Apply(e), settings, recoveryMetric: "garden")
    {
        _gid = new GardenId(entityId);
        _clock = clock;
        _shards = shards;
        _settings = settings;

        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private Instant Now => _clock.GetCurrentInstant();

    protected override void OnReplaySuccess()
    {
        // Creations this entity made before it stopped and nobody confirmed: send them again now, and until confirmed.
        if (!State.UnconfirmedCreations.IsEmpty)
        {
            Self.Tell(ResendCreations.Instance);
            Timers.StartPeriodicTimer(CreationTimer, ResendCreations.Instance, _settings.CreationResendInterval);
        }
        base.OnReplaySuccess();
    }

    private void Idle()
    {
        Command<RegisterGarden>(HandleRegister);
        Command<ApproveEnrollment>(cmd => HandleDecision(cmd.Enrollment, cmd.Actor, approve: true));
        Command<RejectEnrollment>(cmd => HandleDecision(cmd.Enrollment, cmd.Actor, approve: false));
        Command<ClaimEnrollment>(cmd =>
        {
            var outcome = GardenEnrollmentRules.Claim(State, cmd.Enrollment, cmd.ClaimHash, Now);
            Sender.Tell(new EnrollmentClaimed(_gid, cmd.Enrollment, outcome, State.Registration?.Name));
        });
        Command<CompleteEnrollment>(cmd =>
        {
            var sender = Sender;
            PersistThen(State.FindEnrollment(cmd.Enrollment) is null ? [] : [new GardenEnrollmentCompleted(_gid, cmd.Enrollment, Now)],
                () => sender.Tell(CommandAccepted.Instance));
        });
        Command<RestoreGarden>(cmd =>
        {
            if (GardenEnrollmentRules.CanRestore(State) is { } refused)
            {
                Sender.Tell(refused);
                return;
            }
            var sender = Sender;
            PersistThen([new GardenRestored(_gid, cmd.Actor, Now)], () => sender.Tell(CommandAccepted.Instance));
        });
        Command<BindGardenCredential>(cmd => IfRegistered(() =>
        {
            var sender = Sender;
            var previous = State.Registration!.Credential;
            PersistThen(previous == cmd.Credential ? [] : [new GardenCredentialBound(_gid, cmd.Credential)],
                () => sender.Tell(new GardenCredentialReplaced(_gid, previous == cmd.Credential ? null : previous)));
        }));
        Command<GetGarden>(_ => Sender.Tell(new GardenFound(State.Exists ? View() : null)));
        Command<AttachGardenProxy>(HandleAttach);
        Command<DetachGardenProxy>(cmd =>
        {
            if (cmd.Connection == _connection) EndSession();
            // Nothing more goes to that proxy after this answer: it may stop without a message of ours still on its way.
            Sender.Tell(new GardenProxyClosed("detached"));
        });
        Command<Terminated>(t => { if (t.ActorRef.Equals(_proxy)) EndSession(); });
        Command<DeploymentChanged>(HandleDeploymentChanged);
        Command<DeployRealtime>(cmd =>
        {
            if (!State.Exists || State.FindSubscription(cmd.Subscription) is null)
            {
                Sender.Tell(new RealtimeDeliveryDone(cmd.Line, cmd.Subscription, cmd.DeliveryId));
                return;
            }
            var key = RealtimeKey(cmd.Line, cmd.Subscription);
            if (_realtimeHandled.TryGetValue(key, out var handled) && handled >= cmd.DeliveryId)
            {
                Sender.Tell(new RealtimeDeliveryDone(cmd.Line, cmd.Subscription, cmd.DeliveryId));
                return;
            }
            // Still being created (its write not yet confirmed): the running creation acknowledges it; a retry must not
            // plan it again (that would push a skipped duplicate ahead of the real push).
            if (_realtimeStarted.TryGetValue(key, out var started) && started >= cmd.DeliveryId) return;
            _realtimeStarted[key] = cmd.DeliveryId;
            var request = new CreationRequest(RequestId.New(), [cmd.Subscription], Trigger.Realtime, AuditReason.RealtimeTriggered, Actor.FromLegacy(cmd.Actor), false, cmd.Seed);
            StartCreation(new CreationJob(request, null, new RealtimeDeliveryDone(cmd.Line, cmd.Subscription, cmd.DeliveryId), PushErrors: false));
        });
        Command<RunCreation>(cmd => StartCreation(new CreationJob(cmd.Request, null, null, PushErrors: false)));
        Command<RecallOnGarden>(HandleRecall);
        Command<RunRecall>(cmd => StartCreation(cmd.Job));
        Command<ReplayNow>(_ => Replay());
        Command<ResendCreations>(_ =>
        {
            foreach (var record in State.UnconfirmedCreations.Values) _shards.Deployments.Tell(new CreateDeployment(record.Sid, record));
            if (State.UnconfirmedCreations.IsEmpty) Timers.Cancel(CreationTimer);
        });
        // Acknowledgements of what this garden told other entities (follow, cancel, mirror): nothing to do.
        Command<CommandAccepted>(_ => { });
        Command<CommandFailed>(f => _log.Warning("garden {GardenId}: an entity refused a command: {Code} {Reason}", _gid, f.Code, f.Message));
        Command<ReceiveTimeout>(_ => { if (_proxy is null && State.UnconfirmedCreations.IsEmpty) Passivate(); });
        HandleSnapshotReplies();

        // Everything below needs an enrolled garden.
        Command<SyncSubscriptions>(cmd => IfRegistered(() => HandleSync(cmd)));
        Command<ReportGardenVersion>(cmd => IfRegistered(() =>
        {
            var sender = Sender;
            PersistThen([new GardenVersionReported(_gid, cmd.Version, Now)], () => sender.Tell(CommandAccepted.Instance));
        }));
        Command<GardenConditionCommands.ReportGardenCondition>(cmd => IfRegistered(() =>
        {
            var sender = Sender;
            // A garden reports its condition on every reconnect: only a change is an event.
            var unchanged = State.Condition is { } c && c.RebootPending == cmd.RebootPending && c.Drift == cmd.Drift
                            || State.Condition is null && cmd.RebootPending is null && cmd.Drift is null;
            if (unchanged) { sender.Tell(CommandAccepted.Instance); return; }
            var newlyDrifted = cmd.Drift is { } drift && State.Condition?.Drift?.Since != drift.Since ? cmd.Drift : null;
            PersistThen([new GardenConditionEvents.GardenConditionReported(_gid, cmd.RebootPending, cmd.Drift, Now)], () =>
            {
                // One notification per drift episode: the garden dates the episode, so a repeated report is the same key.
                if (newlyDrifted is { } d)
                {
                    Context.System.EventStream.Publish(new Sower.Messages.Webhooks.NotificationRaised(Sower.Messages.Webhooks.Notification.Of(
                        $"{Sower.Messages.Webhooks.NotificationKinds.GardenDrifted}:{_gid.Value}:{d.Since.ToUnixTimeMilliseconds()}",
                        Sower.Messages.Webhooks.NotificationKinds.GardenDrifted, Now,
                        $"garden {State.Registration?.Name ?? _gid.Value} drifted: {d.Detail}",
                        ("garden", _gid.Value), ("expected", d.Expected), ("running", d.Running ?? ""))));
                }
                sender.Tell(CommandAccepted.Instance);
            });
        }));
        Command<ReportGenerations>(cmd => IfRegistered(() => HandleGenerations(cmd)));
        Command<RequestDeployment>(cmd => IfRegistered(() => HandleGardenRequest(cmd)));
        Command<DeploySubscription>(cmd => IfRegistered(() =>
        {
            if (State.FindSubscription(cmd.Subscription) is null)
            {
                Sender.Tell(CommandFailed.Of(DeploymentPlanner.SubscriptionNotFound, "subscription not found"));
                return;
            }
            var request = new CreationRequest(RequestId.New(), [cmd.Subscription], Trigger.Manual, AuditReason.UserTriggered, cmd.Actor, true, cmd.ExplicitSeed);
            StartCreation(new CreationJob(request, Sender, null, PushErrors: true));
        }));
        Command<RetryDeployment>(cmd => IfRegistered(() => HandleRetry(cmd)));
        Command<DeleteGarden>(cmd => IfRegistered(() => HandleDelete(cmd)));
        Command<ChangeGardenLabels>(cmd => IfRegistered(() => HandleChangeLabels(cmd)));
    }

    private void IfRegistered(Action action)
    {
        if (State.Exists) action();
        else Sender.Tell(CommandFailed.Of("garden_not_found", "Garden not found"));
    }

    // ── enrollment and presence ──

    private void HandleRegister(RegisterGarden cmd)
    {
        var sender = Sender;
        var now = Now;
        var request = new EnrollmentRequest(cmd.Name, cmd.HostIdentifier, cmd.Version, cmd.Actor, cmd.CallerIsAdmin, cmd.ProvenCredential, cmd.ClaimHash);
        switch (GardenEnrollmentRules.Decide(State, request, now, _settings.EnrollmentExpiry, EnrollmentId.New()))
        {
            case GardenEnrollmentRules.Refuse refuse:
                sender.Tell(CommandFailed.Of(refuse.Code, refuse.Message));
                return;
            case GardenEnrollmentRules.Park park:
                _log.Info("garden {GardenId}: enrollment {EnrollmentId} by {Actor} parked for an admin's approval", _gid, park.Enrollment.Sid, cmd.Actor);
                PersistThen([new GardenEnrollmentParked(_gid, park.Enrollment)],
                    () => sender.Tell(new EnrollmentParked(_gid, park.Enrollment.Sid, park.Enrollment.ExpiresAt)));
                return;
        }
        var events = new List<IGardenEvent>();
        var rebound = State.Exists;
        var previous = State.Registration?.Credential;
        events.Add(rebound ? new GardenRebound(_gid, cmd.Name, cmd.Actor, now) : new GardenRegistered(_gid, cmd.Name, cmd.HostIdentifier, cmd.Actor, now));
        if (!string.IsNullOrEmpty(cmd.Version)) events.Add(new GardenVersionReported(_gid, cmd.Version, now));
        PersistThen(events, () => sender.Tell(new GardenEnrolled(_gid, cmd.Name, rebound, previous)));
    }

    /// <summary>An admin's approval re-binds (and renames) the garden; its current credential is revoked by the caller.</summary>
    private void HandleDecision(EnrollmentId id, string actor, bool approve)
    {
        var now = Now;
        if (GardenEnrollmentRules.CanDecide(State, id, now) is { } refused)
        {
            Sender.Tell(refused);
            return;
        }
        var sender = Sender;
        var enrollment = State.FindEnrollment(id)!;
        if (!approve)
        {
            PersistThen([new GardenEnrollmentRejected(_gid, id, actor, now)],
                () => sender.Tell(new EnrollmentDecided(_gid, id, EnrollmentStatus.Rejected, null)));
            return;
        }
        var previous = State.Registration!.Credential;
        var events = new List<IGardenEvent> { new GardenEnrollmentApproved(_gid, id, actor, now), new GardenRebound(_gid, enrollment.Name, actor, now) };
        if (!string.IsNullOrEmpty(enrollment.Version)) events.Add(new GardenVersionReported(_gid, enrollment.Version, now));
        PersistThen(events, () => sender.Tell(new EnrollmentDecided(_gid, id, EnrollmentStatus.Approved, previous)));
    }

    private void HandleAttach(AttachGardenProxy cmd)
    {
        if (!State.Exists)
        {
            Sender.Tell(CommandFailed.Of("garden_not_found", "Garden not found"));
            return;
        }
        if (_proxy is not null && _connection == cmd.Connection)
        {
            Sender.Tell(new GardenProxyAttached(_gid, State.Registration!.Name));
            return;
        }
        if (_proxy is not null)
        {
            Context.Unwatch(_proxy);
            _proxy.Tell(new GardenProxyReplaced(cmd.Connection));
        }
        _proxy = cmd.Proxy;
        _connection = cmd.Connection;
        Context.Watch(_proxy);
        var sender = Sender;
        PersistThen([new GardenSessionStarted(_gid, cmd.Connection, Now)], () =>
        {
            sender.Tell(new GardenProxyAttached(_gid, State.Registration!.Name));
            Reconcile();
        });
    }

    private void EndSession()
    {
        if (_proxy is null || _connection is null) return;
        Context.Unwatch(_proxy);
        var connection = _connection.Value;
        _proxy = null;
        _connection = null;
        PersistThen([new GardenSessionEnded(_gid, connection, Now)], () => { });
    }

    private void HandleDelete(DeleteGarden cmd)
    {
        var sender = Sender;
        var credential = State.Registration!.Credential;
        var subscriptions = State.Subscriptions.Values.ToList();
        if (_proxy is not null)
        {
            Context.Unwatch(_proxy);
            _proxy.Tell(new GardenProxyClosed("garden deleted"));
            _proxy = null;
            _connection = null;
        }
        var registration = State.Registration!;
        var now = Now;
        PersistThen([new GardenRemoved(_gid, cmd.Actor, now), new GardenTombstoned(_gid, registration.Name, registration.HostIdentifier, cmd.Actor.Sid, now)], () =>
        {
            foreach (var sub in subscriptions)
            {
                _shards.SeedLines.Tell(new UnfollowSeedLine(sub.Line, sub.Sid));
                _shards.Subscriptions.Tell(new Messages.Subscriptions.SubscriptionCommands.RemoveSubscription(sub.Sid, _gid));
            }
            sender.Tell(new GardenDeleted(_gid, credential));
            // Also here, not only when the caller then revokes the credential: the deleted garden's sessions end on every node.
            if (credential is { } ended) CredentialRevocations.Publish(Context.System, new CredentialRevoked(ended, null, CredentialRevoked.GardenDeleted));
        });
    }

    // ── labels (issue 14.1) ──

    private void HandleChangeLabels(ChangeGardenLabels cmd)
    {
        var sender = Sender;
        var before = State.AdminLabels ?? GardenLabels.None;
        var removed = cmd.Remove.Where(before.ContainsKey).ToImmutableArray();
        var changed = cmd.Set.Any(kv => !before.TryGetValue(kv.Key, out var v) || v != kv.Value) || !removed.IsEmpty;
        var after = removed.Aggregate(GardenLabels.Effective(before, cmd.Set), (labels, key) => labels.Remove(key));
        if (after.Count > GardenLabels.MaxLabels)
        {
            sender.Tell(CommandFailed.Of(GardenLabels.TooManyLabels, $"a garden may carry at most {GardenLabels.MaxLabels} server-side labels"));
            return;
        }
        PersistThen(changed ? [new GardenAdminLabelsChanged(_gid, cmd.Set, removed, cmd.Actor, Now)] : [], () =>
        {
            if (changed) TellLinesLabels();
            sender.Tell(new GardenFound(View()));
        });
    }

    /// <summary>Every seed line this garden follows keeps the garden's effective labels, to place it in rollout waves.</summary>
    private void TellLinesLabels()
    {
        foreach (var line in State.Subscriptions.Values.Select(s => s.Line).Distinct())
        {
            _shards.SeedLines.Tell(new Messages.Rollouts.RolloutCommands.LabelSeedLineFollower(line, _gid, State.Labels));
        }
    }

    private static bool SameLabels(ImmutableDictionary<string, string> a, ImmutableDictionary<string, string>? b) =>
        b is not null && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>A realtime deployment that completed tells each of its seeds' lines how it went, for rollout waves (issue 14.2).
    /// Skipped seeds (the policy chose not to act) count neither way.</summary>
    private void ReportRolloutOutcomes(DeploymentSummary? previous, DeploymentSummary summary)
    {
        if (summary.Trigger != Trigger.Realtime || summary.State != DeploymentState.Completed || previous?.State == DeploymentState.Completed) return;
        if (summary.Result is null or DeploymentResult.Skipped) return;
        foreach (var seed in summary.Seeds)
        {
            if (State.FindSubscription(seed.Subscription) is not { } sub) continue;
            _shards.SeedLines.Tell(new Messages.Rollouts.RolloutCommands.ReportRolloutOutcome(sub.Line, seed.Seed.Sid, seed.Subscription,
                summary.Result == DeploymentResult.Success));
        }
    }

    private GardenView View() => new(
        _gid, State.Registration!.Name, _proxy is not null, _proxy is null ? null : State.OnlineAt, State.LastSeen, State.Version,
        State.Registration.RegisteredAt, [.. State.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal)], State.Generations,
        State.Deployments.Values.OrderByDescending(d => d.CreatedAt).FirstOrDefault(),
        State.Condition)
    {
        OwnLabels = State.OwnLabels,
        AdminLabels = State.AdminLabels,
    };

    // ── subscriptions, reports ──

    private void HandleSync(SyncSubscriptions cmd)
    {
        var before = State.Subscriptions.Values.ToDictionary(s => s.Sid);
        var synced = State.Sync(cmd.Subscriptions, Now, SubscriptionId.New);
        var sender = Sender;
        IGardenEvent[] events = cmd.Labels is { } labels && !SameLabels(labels, State.OwnLabels)
            ? [synced, new GardenLabelsSynced(_gid, labels, Now)]
            : [synced];
        PersistThen(events, () =>
        {
            TellLinesLabels();
            foreach (var record in synced.Subscriptions)
            {
                if (before.TryGetValue(record.Sid, out var old) && old.Line != record.Line)
                {
                    _shards.SeedLines.Tell(new UnfollowSeedLine(old.Line, record.Sid));
                }
                _shards.SeedLines.Tell(new FollowSeedLine(record.Line, _gid, record.Sid, record.Spec.Rules, record.Realtime));
            }
            foreach (var removed in synced.Removed)
            {
                _shards.SeedLines.Tell(new UnfollowSeedLine(removed.Line, removed.Sid));
                _shards.Subscriptions.Tell(new Messages.Subscriptions.SubscriptionCommands.RemoveSubscription(removed.Sid, _gid));
            }
            foreach (var record in synced.Subscriptions)
            {
                _shards.Subscriptions.Tell(new Messages.Subscriptions.SubscriptionCommands.UpsertSubscription(record.Sid, record));
            }
            sender.Tell(new SubscriptionsSynced(synced.Subscriptions));
        });
    }

    /// <summary>
    /// REFERENCE §6.13 as amended by issue 12: what a garden reports is what that garden runs, recorded on this garden only.
    /// It never registers a seed (a garden could otherwise plant "latest" seeds in any line and steer other gardens), and a
    /// created time later than the server's clock is clamped to now, with a warning naming the garden's claim.
    /// </summary>
    private void HandleGenerations(ReportGenerations cmd)
    {
        var rows = new List<GenerationRow>();
        var now = Now;
        foreach (var profile in cmd.Profiles)
        {
            var type = GenerationNaming.TypeOf(profile.ProfilePath);
            var profileRows = new List<GenerationRow>();
            foreach (var generation in profile.Generations)
            {
                var created = InstantPattern.ExtendedIso.Parse(generation.Created);
                var createdAt = created.Success ? created.Value
                    : OffsetDateTimePattern.ExtendedIso.Parse(generation.Created) is { Success: true } offset ? offset.Value.ToInstant() : (Instant?)null;
                if (createdAt is null)
                {
                    _log.Warning("garden {GardenId}: generation {StorePath} skipped, created \"{Created}\" is not ISO-8601", _gid, generation.Path, generation.Created);
                    continue;
                }
                if (!StorePath.IsValid(generation.Path))
                {
                    _log.Warning("garden {GardenId}: generation skipped, \"{StorePath}\" is not a store path", _gid, generation.Path);
                    continue;
                }
                if (createdAt.Value > now)
                {
                    _log.Warning("garden {GardenId}: generation {StorePath} claims to be created at {Created}, later than the server's clock; recorded as {RecordedAt}",
                        _gid, generation.Path, InstantPattern.ExtendedIso.Format(createdAt.Value), InstantPattern.ExtendedIso.Format(now));
                    createdAt = now;
                }
                // The sid is the identity a submitted seed of this artifact has (or would have): it links the row to a seed
                // someone submitted, and to nothing else.
                var seedId = SeedIdentity.For(type, generation.Path);
                profileRows.RemoveAll(r => r.Seed == seedId);
                profileRows.Add(new GenerationRow(profile.ProfilePath, seedId, generation.Path, generation.Link, createdAt.Value, generation.Number, generation.IsCurrent));
            }
            // Only the last generation flagged current stays current.
            var lastCurrent = profileRows.FindLastIndex(r => r.IsCurrent);
            rows.AddRange(profileRows.Select((r, i) => r with { IsCurrent = i == lastCurrent }));
        }
        var sender = Sender;
        PersistThen([new GardenGenerationsReported(_gid, [.. rows], now)], () => sender.Tell(CommandAccepted.Instance));
    }

    // ── creation ──

    private void HandleGardenRequest(RequestDeployment cmd)
    {
        var subs = cmd.Subscriptions.Select(State.FindSubscription).ToList();
        if (subs.Any(s => s is null) || subs.Count == 0)
        {
            Sender.Tell(CommandFailed.Of(DeploymentPlanner.SubscriptionNotFound, "subscription not found"));
            return;
        }
        var reason = AuditReasons.ForGardenRequest(cmd.Trigger);
        if (reason is null)
        {
            Sender.Tell(CommandFailed.Of(GatewayErrors.InvalidPayload, "trigger must be manual, scheduled or poll_on_connect"));
            return;
        }
        var now = Now;
        var decisions = subs.Select(s => PolicyEvaluator.Evaluate(s!.Spec.Policy, cmd.Trigger, now, s.Spec.SeedType, s.Zone)).ToList();
        if (decisions.All(d => d.Kind == DecisionKind.Deny))
        {
            Sender.Tell(CommandFailed.Of(DeploymentPlanner.PolicyDenied, "Denied by policy"));
            return;
        }
        // The reply comes before the creation; it already knows what the creation will do with a Confirm (§6.4 step 2),
        // so the garden's admin socket can say "approval required" (§5.15).
        var awaiting = decisions.Any(d => d.Kind == DecisionKind.Confirm && d.Action is not null);
        Sender.Tell(new DeploymentRequested(cmd.RequestId, null, awaiting, false));
        var request = new CreationRequest(cmd.RequestId, cmd.Subscriptions, cmd.Trigger, reason.Value, Actor.Garden(_gid), cmd.Force, null);
        StartCreation(new CreationJob(request, null, null, PushErrors: true));
    }

    private void StartCreation(CreationJob job)
    {
        var needed = DeploymentPlanner.NeedsResolution(State, job.Request);
        _job = job;
        _latest = new Dictionary<SubscriptionId, SeedInfo?>();
        _awaiting = new HashSet<string>(StringComparer.Ordinal);
        if (needed.IsEmpty)
        {
            FinishCreation();
            return;
        }
        foreach (var sub in needed)
        {
            var correlation = job.Request.RequestId.Value + "/" + sub.Sid.Value;
            _awaiting.Add(correlation);
            _shards.SeedLines.Tell(new GetLatestMatchingSeed(sub.Line, sub.Spec.Rules, correlation));
        }
        Timers.StartSingleTimer(ResolveTimer, ResolveTimedOut.Instance, _settings.ResolveTimeout);
        Become(Resolving);
    }

    private void Resolving()
    {
        Command<LatestMatchingSeed>(reply =>
        {
            if (_job is null || !_awaiting.Remove(reply.Correlation)) return;
            var sub = new SubscriptionId(reply.Correlation[(reply.Correlation.IndexOf('/') + 1)..]);
            _latest[sub] = reply.Seed;
            if (_awaiting.Count == 0) FinishCreation();
        });
        Command<ResolveTimedOut>(_ =>
        {
            _log.Warning("garden {GardenId}: seed lines did not answer in time for request {RequestId}", _gid, _job?.Request.RequestId);
            FinishCreation();
        });
        CommandAny(_ => Stash.Stash());
    }

    private void FinishCreation()
    {
        var job = _job!;
        _job = null;
        Timers.Cancel(ResolveTimer);
        var request = job.Request;
        foreach (var sub in request.Subscriptions)
        {
            if (_latest.GetValueOrDefault(sub) is { } latest && (latest.Withdrawn || latest.Sid == job.Recalled)) _latest[sub] = null;
            if (job.Fallback is { } fallback && _latest.GetValueOrDefault(sub) is null) _latest[sub] = fallback;
        }
        var outcome = DeploymentPlanner.Plan(State, request, _latest, Now, DeploymentId.New());
        switch (outcome)
        {
            case CreationOutcome.Failed failed:
                if (failed.Code == DeploymentPlanner.SeedsNotFound && job.PushErrors)
                {
                    Push(GatewayProtocol.PushDeploymentError, GatewayPushes.Error(request.RequestId, failed.Code));
                }
                if (request.Trigger != Trigger.Manual || failed.Code != DeploymentPlanner.SeedsNotFound)
                {
                    _log.Info("garden {GardenId}: {Trigger} request {RequestId} created nothing: {Code}", _gid, request.Trigger.ToWire(), request.RequestId, failed.Code);
                }
                job.ReplyTo?.Tell(CommandFailed.Of(failed.Code, failed.Message));
                Done(job);
                break;
            case CreationOutcome.Duplicate duplicate:
                Push(GatewayProtocol.PushDeployment, GatewayPushes.Deployment(duplicate.Existing, request.RequestId, skipped: !duplicate.RePush));
                job.ReplyTo?.Tell(new DeploymentRequested(request.RequestId, duplicate.Existing.Sid,
                    duplicate.Existing.State == DeploymentState.AwaitingApproval, Duplicate: true));
                Done(job);
                break;
            case CreationOutcome.Planned planned:
                Create(planned, request.Actor, job.ReplyTo, () => Done(job));
                break;
        }
    }

    private static string RealtimeKey(SeedLineKey line, SubscriptionId subscription) => line.EntityId + "/" + subscription.Value;

    private void Done(CreationJob job)
    {
        if (job.RealtimeAck is { } ack)
        {
            var key = RealtimeKey(ack.Line, ack.Subscription);
            if (!_realtimeHandled.TryGetValue(key, out var handled) || handled < ack.DeliveryId) _realtimeHandled[key] = ack.DeliveryId;
            _shards.SeedLines.Tell(ack);
        }
        if (job.Ack is { } recallAck) recallAck.To.Tell(recallAck.Message);
        Stash.UnstashAll();
        Become(Idle);
    }

    private void Create(CreationOutcome.Planned planned, Actor actor, IActorRef? replyTo, Action done)
    {
        var record = planned.Deployment;
        var summary = record.ToSummary();
        var events = new List<IGardenEvent> { new GardenDeploymentIndexed(_gid, summary), new GardenDeploymentCreationPending(_gid, record) };
        foreach (var (sid, reason) in planned.Cancellations)
        {
            if (State.FindDeployment(sid) is { } existing) events.Add(new GardenDeploymentIndexed(_gid, existing with { State = DeploymentState.Canceled }));
        }
        PersistThen(events, () =>
        {
            _shards.Deployments.Tell(new CreateDeployment(record.Sid, record));
            if (!Timers.IsTimerActive(CreationTimer)) Timers.StartPeriodicTimer(CreationTimer, ResendCreations.Instance, _settings.CreationResendInterval);
            foreach (var (sid, reason) in planned.Cancellations)
            {
                _shards.Deployments.Tell(new CancelDeployment(sid, reason, reason == CancelReason.Stale ? Actor.Server : actor));
            }
            if (record.State == DeploymentState.Dispatched) Push(GatewayProtocol.PushDeployment, GatewayPushes.Deployment(summary, record.RequestId, skipped: false));
            replyTo?.Tell(new DeploymentRequested(record.RequestId, record.Sid, record.State == DeploymentState.AwaitingApproval, Duplicate: false));
            // Only now is the delivery done: acknowledged before the write, a failed write (journal timeout) would lose
            // the deployment while the seed line believes it delivered.
            done();
        });
    }

    /// <summary>
    /// Issue 16.2: a recalled seed leaves this subscription. Deployments of it still on their way are canceled (superseded);
    /// when the subscription runs it, a deployment of the newest non-recalled matching seed (or, if the line has none, of the
    /// seed it ran before) is created under trigger recall. A garden that is offline gets it replayed when it reconnects.
    /// </summary>
    private void HandleRecall(RecallOnGarden cmd)
    {
        var done = new RecallOnGardenDone(cmd.Seed.Sid, cmd.Subscription);
        var sub = State.Exists ? State.FindSubscription(cmd.Subscription) : null;
        if (sub is null)
        {
            Sender.Tell(done);
            return;
        }
        var events = new List<IGardenEvent>();
        var canceled = new List<DeploymentId>();
        foreach (var d in State.Deployments.Values.Where(d => (d.State.IsUnresolved() || d.State == DeploymentState.AwaitingApproval)
                                                              && d.Seeds.Any(s => s.Seed.Sid == cmd.Seed.Sid)))
        {
            canceled.Add(d.Sid);
            events.Add(new GardenDeploymentIndexed(_gid, d with { State = DeploymentState.Canceled }));
        }
        var running = DeploymentPlanner.RunningDeployment(State, sub.Sid);
        var runsIt = running?.Seeds.Any(s => s.Subscription == sub.Sid && s.Seed.Sid == cmd.Seed.Sid) == true;
        var replyTo = Sender;
        var before = DeploymentPlanner.RanBefore(State, sub.Sid, cmd.Seed.Sid);
        PersistThen(events, () =>
        {
            foreach (var sid in canceled) _shards.Deployments.Tell(new CancelDeployment(sid, CancelReason.Superseded, Actor.FromLegacy(cmd.Actor)));
            if (!runsIt)
            {
                replyTo.Tell(done);
                return;
            }
            _log.Info("garden {GardenId}: subscription {SubscriptionId} runs recalled seed {SeedId}; replacing it", _gid, sub.Sid, cmd.Seed.Sid);
            var request = new CreationRequest(RequestId.New(), [sub.Sid], Trigger.Recall, AuditReason.RecallTriggered, Actor.FromLegacy(cmd.Actor), cmd.Force, null);
            Self.Tell(new RunRecall(new CreationJob(request, null, null, PushErrors: false) { Fallback = before, Recalled = cmd.Seed.Sid, Ack = (replyTo, done) }));
        });
    }

    private void HandleRetry(RetryDeployment cmd)
    {
        var outcome = DeploymentPlanner.Retry(State, cmd.Deployment, cmd.Actor, Now, DeploymentId.New(), RequestId.New());
        switch (outcome)
        {
            case CreationOutcome.Failed failed:
                Sender.Tell(CommandFailed.Of(failed.Code, failed.Message));
                break;
            case CreationOutcome.Planned planned:
                Create(planned, cmd.Actor, Sender, () => { });
                break;
        }
    }

    private void HandleDeploymentChanged(DeploymentChanged changed)
    {
        var summary = changed.Summary;
        var previous = State.FindDeployment(summary.Sid);
        var confirmed = State.UnconfirmedCreations.ContainsKey(summary.Sid.Value);
        var unchanged = previous is not null && Same(previous, summary);
        if (unchanged && !confirmed) return;
        var events = new List<IGardenEvent>();
        if (confirmed) events.Add(new GardenDeploymentCreationConfirmed(_gid, summary.Sid));
        if (!unchanged) events.Add(new GardenDeploymentIndexed(_gid, summary));
        PersistThen(events, () =>
        {
            if (unchanged) return;
            ReportRolloutOutcomes(previous, summary);
            if (previous?.State == DeploymentState.AwaitingApproval && summary.State == DeploymentState.Dispatched)
            {
                Push(GatewayProtocol.PushDeployment, GatewayPushes.Deployment(summary, summary.RequestId, skipped: false));
            }
        });
    }

    private static bool Same(DeploymentSummary a, DeploymentSummary b) =>
        a.State == b.State && a.Result == b.Result && a.Approved == b.Approved && a.LastDispatchedAt == b.LastDispatchedAt
        && a.DeployedAt == b.DeployedAt && a.RequestId == b.RequestId && a.Executed.SequenceEqual(b.Executed);

    // ── reconnect reconciliation (REFERENCE §6.7) ──

    private void Reconcile()
    {
        var now = Now;
        foreach (var sub in DeploymentPlanner.OverdueSubscriptions(State, now, warning => _log.Warning("garden {GardenId}: {Warning}", _gid, warning)))
        {
            Self.Tell(new RunCreation(new CreationRequest(RequestId.New(), [sub.Sid], Trigger.Scheduled, AuditReason.ScheduleTriggered, Actor.Garden(_gid), false, null)));
        }
        Self.Tell(ReplayNow.Instance);
    }

    private void Replay()
    {
        var now = Now;
        var events = new List<IGardenEvent>();
        var pushes = new List<DeploymentPush>();
        foreach (var (deployment, step) in DeploymentPlanner.Replay(State))
        {
            if (step == DeploymentPlanner.ReplayStep.Supersede)
            {
                _shards.Deployments.Tell(new CancelDeployment(deployment.Sid, CancelReason.Superseded, Actor.Garden(_gid)));
                events.Add(new GardenDeploymentIndexed(_gid, deployment with { State = DeploymentState.Canceled }));
            }
            else
            {
                var requestId = RequestId.New();
                _shards.Deployments.Tell(new RedispatchDeployment(deployment.Sid, requestId));
                var redispatched = deployment with { LastDispatchedAt = now, RequestId = requestId };
                events.Add(new GardenDeploymentIndexed(_gid, redispatched));
                pushes.Add(GatewayPushes.Deployment(redispatched, requestId, skipped: false));
            }
        }
        PersistThen(events, () => pushes.ForEach(p => Push(GatewayProtocol.PushDeployment, p)));
    }

    // ── helpers ──

    private void Push(string method, object payload) => _proxy?.Tell(payload switch
    {
        DeploymentPush deployment => new PushToGarden(deployment, null),
        DeploymentErrorPush error => new PushToGarden(null, error),
        _ => throw new ArgumentException($"{method} is not a gateway push", nameof(payload)),
    });

    private void PersistThen(IReadOnlyCollection<IGardenEvent> events, Action after)
    {
        if (events.Count == 0)
        {
            after();
            return;
        }
        var writing = ServerInstruments.Timestamp();
        var remaining = events.Count;
        // In the last event's handler, not DeferAsync: Akka unstashes the next command as soon as the events' handlers have
        // run, ahead of a deferred handler, so a reply or tell from DeferAsync could come after the next command's (a dead
        // letter when that command stops the recipient, a stale answer otherwise).
        PersistAll(events, e =>
        {
            Applied(e);
            if (--remaining > 0) return;
            ServerInstruments.JournalWritten("garden", writing);
            after();
        });
    }

    private sealed record CreationJob(CreationRequest Request, IActorRef? ReplyTo, RealtimeDeliveryDone? RealtimeAck, bool PushErrors)
    {
        /// <summary>A recall's replacement when the line has no non-recalled matching seed: the seed the subscription ran before.</summary>
        public SeedInfo? Fallback { get; init; }

        /// <summary>The recalled seed: never the replacement, whatever a line that has not caught up yet answers.</summary>
        public SeedId? Recalled { get; init; }

        public (IActorRef To, object Message)? Ack { get; init; }
    }

    /// <summary>A recall's creation, queued behind the cancellations it persisted.</summary>
    private sealed record RunRecall(CreationJob Job) : INoSerializationVerificationNeeded;

    /// <summary>A creation queued by reconciliation (catch-up), run in order with everything else.</summary>
    private sealed record RunCreation(CreationRequest Request) : INoSerializationVerificationNeeded;

    private sealed class ResendCreations : INoSerializationVerificationNeeded
    {
        public static readonly ResendCreations Instance = new();
    }

    private sealed class ReplayNow : INoSerializationVerificationNeeded
    {
        public static readonly ReplayNow Instance = new();
    }

    private sealed class ResolveTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly ResolveTimedOut Instance = new();
    }
}
