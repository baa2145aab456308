using System.Text;
using Akka.Actor;
using Akka.Event;
using NodaTime;
using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using SeedDeploymentState = Sower.Messages.Deployments.SeedDeploymentState;

namespace Sower.Actors.Garden;

public static class SeedExecution
{
    /// <param name="Gate">The garden's <see cref="ActivationGateActor"/> (inhibition and reboot lock), when there is one.</param>
    public sealed record Settings(ProfileRoots Roots, GardenTimeouts Timeouts, string GardenUser, TimeSpan? LogStreamInterval = null, IActorRef? Gate = null,
        System.Collections.Immutable.ImmutableDictionary<string, int>? ConfirmTimeouts = null, int ConfirmTimeoutDefault = GardenConfig.DefaultConfirmTimeoutSeconds)
    {
        /// <summary>The confirm_timeout of a subscription (by name), default 120 s; 0: no rollback deadline.</summary>
        public int ConfirmTimeoutFor(string? subscriptionName) =>
            subscriptionName is not null && ConfirmTimeouts is not null && ConfirmTimeouts.TryGetValue(subscriptionName, out var s) ? s : ConfirmTimeoutDefault;
    }

    /// <summary>To the deployment: output collected since the last chunk, streamed as a log-only seed result.</summary>
    public sealed record LogChunk(string SeedSid, string Log);

    internal sealed class Flush
    {
        public static readonly Flush Instance = new();
        private Flush() { }
    }

    /// <summary>To the deployment: forward a seed status to the server.</summary>
    public sealed record StatusChanged(string SeedSid, SeedDeploymentState Status);

    /// <summary>To the deployment: the seed is about to be activated; answer <see cref="Proceed"/> once the profile lock is held and it is recorded.</summary>
    public sealed record ActivationStarting(string SeedSid, PolicyAction Action, string ProfileKey, string User);

    public sealed class Proceed
    {
        public static readonly Proceed Instance = new();
        private Proceed() { }
    }

    /// <summary>To the deployment: the seed's result. <see cref="Result"/> is success, failure or skipped; <see cref="Action"/> what was executed.</summary>
    public sealed record Done(string SeedSid, string Result, string Action, string Log, PolicyAction? Executed, bool RollbackArmed = false);

    public static string ProfileKey(GardenSeed seed, string? user) => seed.SeedType switch
    {
        SeedType.NixOS => "system",
        SeedType.HomeManager => "home-manager:" + user,
        SeedType.Service => "services",
        _ => "profile:" + seed.Name,
    };

    /// <summary>The Home-Manager target user: the seed's username tag, else the subscription's username rule, else the garden's user.</summary>
    public static string TargetUser(GardenSeed seed, SubscriptionSpec? spec, string gardenUser) =>
        seed.Tags.FirstOrDefault(t => t.Key == "username")?.Value
        ?? spec?.Rules.FirstOrDefault(r => r.Key == "username")?.Value
        ?? gardenUser;
}

/// <summary>
/// Runs one seed of a deployment (REFERENCE §5.11): stage (realise + GC root) → decide (the less disruptive of A_sub and
/// HighestPermittedAction now) → activate under the profile lock. Every path ends in exactly one <see cref="SeedExecution.Done"/>.
/// </summary>
public sealed partial class SeedExecutionActor : ReceiveActor, IWithTimers
{
    private readonly GardenSeed _seed;
    private readonly PolicyAction _allowed;
    private readonly IActorRef _activator;
    private readonly GardenStateStore _store;
    private readonly IClock _clock;
    private readonly SeedExecution.Settings _settings;
    private readonly string _subscriptionSid;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly StringBuilder _lines = new();
    private readonly string _label;
    private string? _currentRequest;
    private PolicyAction _executing;
    private readonly string? _deploymentSid;
    private bool _asksForRollbackDeadline;

    public SeedExecutionActor(GardenSeedDeployment item, PolicyAction allowed, IActorRef activator, GardenStateStore store, IClock clock, SeedExecution.Settings settings,
        string? deploymentSid = null)
    {
        _deploymentSid = deploymentSid;
        _seed = item.Seed;
        _subscriptionSid = item.SubscriptionSid;
        _allowed = allowed;
        _activator = activator;
        _store = store;
        _clock = clock;
        _settings = settings;
        _label = $"{_seed.Name} ({_seed.SeedTypeWire})";
        Staging();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GardenSeedDeployment item, PolicyAction allowed, IActorRef activator, GardenStateStore store, IClock clock, SeedExecution.Settings settings,
        string? deploymentSid = null) =>
        Akka.Actor.Props.Create(() => new SeedExecutionActor(item, allowed, activator, store, clock, settings, deploymentSid));

    protected override void PreStart()
    {
        var every = _settings.LogStreamInterval ?? TimeSpan.FromSeconds(2);
        Timers.StartPeriodicTimer("flush", SeedExecution.Flush.Instance, every);
        Line($"downloading {_label}");
        Context.Parent.Tell(new SeedExecution.StatusChanged(_seed.Sid, SeedDeploymentState.Downloading));
        // A Home-Manager seed is staged for its target user, so a user garden staging its own generation needs no privileges.
        var forUser = _seed.SeedType == SeedType.HomeManager
            ? SeedExecution.TargetUser(_seed, _store.Current.Subscriptions?.FirstOrDefault(s => s.Sid == _subscriptionSid)?.Spec, _settings.GardenUser)
            : null;
        Send(ActivatorRequest.Stage(NewId(), _seed.Artifact, _subscriptionSid), _settings.Timeouts.Realise, forUser);
    }

    private void Staging()
    {
        Receive<SeedExecution.Flush>(_ => FlushLines());
        Receive<ActivatorCommands.Output>(AppendFrame);
        Receive<ActivatorCommands.Finished>(f => f.RequestId == _currentRequest, f =>
        {
            if (f.ExitCode != 0)
            {
                if (f.Error is not null) Line(f.Error);
                else Line($"activator exited with code {f.ExitCode}");
                Line($"realization failed for {_label}");
                Finish("failure", "none", null);
                return;
            }
            if (_seed.SeedType == SeedType.GcRoot)
            {
                // gcroot: stage = realise + set the named profile (§4.6). A profile that already selects the artifact (e.g. the
                // deployment resumed after a restart) is left alone, so no needless generation is added.
                var pinned = ActivationReconciler.Check(_seed, PolicyAction.Stage, _settings.GardenUser, _settings.Roots);
                if (pinned.Verdict == ReconcileVerdict.Applied)
                {
                    Line($"staged {_label}; {pinned.Text} already");
                    Finish("success", "stage", PolicyAction.Stage);
                    return;
                }
                Become(PinningProfile);
                Send(ActivatorRequest.SetProfile(NewId(), _seed.Artifact, ActivationReconciler.ProfileName(_seed.Name)), _settings.Timeouts.Activation);
                return;
            }
            Decide();
        });
    }

    private void PinningProfile()
    {
        Receive<SeedExecution.Flush>(_ => FlushLines());
        Receive<ActivatorCommands.Output>(AppendFrame);
        Receive<ActivatorCommands.Finished>(f => f.RequestId == _currentRequest, f =>
        {
            if (f.ExitCode == 0) { Line($"staged {_label}"); Finish("success", "stage", PolicyAction.Stage); }
            else { Line(f.Error ?? $"activator exited with code {f.ExitCode}"); Line($"setting the profile failed for {_label}"); Finish("failure", "none", null); }
        });
    }

    private void Decide()
    {
        var sub = _store.Current.Subscriptions?.FirstOrDefault(s => s.Sid == _subscriptionSid);
        PolicyAction? highest = null;
        if (sub is not null && _seed.SeedType is { } type)
        {
            highest = PolicyEvaluator.HighestPermittedAction(sub.Spec.Policy, _clock.GetCurrentInstant(), type, SeedAdmission.ZoneOf(sub.Spec));
        }
        if (highest is null)
        {
            // Never activate anyway when nothing is permitted now (pitfall 15).
            Line($"staged {_label}, no action permitted at execution time");
            Context.Parent.Tell(new SeedExecution.StatusChanged(_seed.Sid, SeedDeploymentState.Completed));
            Finish("skipped", "stage", PolicyAction.Stage);
            return;
        }
        var action = PolicyActions.Min(_allowed, highest.Value);
        if (action == PolicyAction.Stage)
        {
            Line($"staged {_label}, activation not permitted");
            Context.Parent.Tell(new SeedExecution.StatusChanged(_seed.Sid, SeedDeploymentState.Completed));
            Finish("success", "stage", PolicyAction.Stage);
            return;
        }
        _executing = action;
        if (_seed.SeedType is SeedType.NixDarwin or SeedType.GcRoot or null)
        {
            Line(_seed.SeedType == SeedType.NixDarwin ? "activation of nix-darwin seeds is not supported" : $"activation of {_seed.SeedTypeWire} seeds is not supported");
            Finish("failure", "none", null);
            return;
        }
        var user = SeedExecution.TargetUser(_seed, sub?.Spec, _settings.GardenUser);
        Become(WaitingForLock);
        Context.Parent.Tell(new SeedExecution.ActivationStarting(_seed.Sid, action, SeedExecution.ProfileKey(_seed, user), user));
    }

    private void WaitingForLock()
    {
        Receive<SeedExecution.Flush>(_ => FlushLines());
        Receive<SeedExecution.Proceed>(_ =>
        {
            var sub = _store.Current.Subscriptions?.FirstOrDefault(s => s.Sid == _subscriptionSid);
            var user = SeedExecution.TargetUser(_seed, sub?.Spec, _settings.GardenUser);
            ActivatorRequest request;
            string mode;
            switch (_seed.SeedType)
            {
                case SeedType.NixOS:
                    // First what changes (and whether only boot components do): see SeedExecutionActor.Changes.cs.
                    CompareWithRunningSystem();
                    return;
                case SeedType.HomeManager:
                    mode = "activate";
                    request = ActivatorRequest.HomeManager(NewId(), _seed.Artifact, user);
                    break;
                default:
                    // The complete set of service seeds this garden wants active: this one plus every other subscription's.
                    mode = "services";
                    var others = _store.Current.Services.Where(kv => kv.Key != _subscriptionSid).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value);
                    request = ActivatorRequest.Services(NewId(), [.. others, new ServiceSeed(_seed.Name, _seed.Artifact)]);
                    break;
            }
            StartActivation(request, mode);
        });
    }

    private void StartActivation(ActivatorRequest request, string mode)
    {
        request = WithRollbackDeadline(request, _store.Current.Subscriptions?.FirstOrDefault(s => s.Sid == _subscriptionSid)?.Spec.Name);
        Line($"activating {_label} with mode: {mode}");
        Context.Parent.Tell(new SeedExecution.StatusChanged(_seed.Sid, SeedDeploymentState.Activating));
        Become(Activating);
        Send(request, _settings.Timeouts.Activation);
    }

    private void Activating()
    {
        Receive<SeedExecution.Flush>(_ => FlushLines());
        Receive<ActivatorCommands.Output>(AppendFrame);
        Receive<ActivatorCommands.Finished>(f => f.RequestId == _currentRequest, f =>
        {
            if (f.ExitCode == 0)
            {
                Line($"activated {_label}");
                if (_seed.SeedType == SeedType.Service)
                {
                    _store.Update(s => s with { ActiveServices = s.Services.SetItem(_subscriptionSid, new ServiceSeed(_seed.Name, _seed.Artifact)) });
                }
                if (_seed.SeedType == SeedType.NixOS) RecordActivatedSystem();
                _log.Info("Completed activation of {Seed} seed={SeedId}", _label, _seed.Sid);
                Context.Parent.Tell(new SeedExecution.StatusChanged(_seed.Sid, SeedDeploymentState.Completed));
                Finish("success", _executing.ToWire(), _executing, _asksForRollbackDeadline);
                return;
            }
            Line(f.Error ?? $"activator exited with code {f.ExitCode}");
            Line($"activation failed for {_label}");
            Finish("failure", _executing.ToWire(), null);
        });
    }

    private void AppendFrame(ActivatorCommands.Output output)
    {
        if (output.RequestId != _currentRequest || output.Frame.Data is null) return;
        _lines.Append(LogLines.StripAnsi(output.Frame.Data)).Append('\n');
    }

    private void Send(ActivatorRequest request, TimeSpan timeout, string? forUser = null)
    {
        _currentRequest = request.Id;
        _activator.Tell(new ActivatorCommands.Run(request, Self, timeout, forUser));
    }

    private void Line(string text) => _lines.Append(LogLines.Garden(_clock.GetCurrentInstant(), text)).Append('\n');

    /// <summary>Streams what was collected so far; the server appends it to the seed's log.</summary>
    private void FlushLines()
    {
        if (_lines.Length == 0) return;
        Context.Parent.Tell(new SeedExecution.LogChunk(_seed.Sid, _lines.ToString()));
        _lines.Clear();
    }

    /// <summary>
    /// A system switch or Home-Manager activation asks the activator for a rollback deadline (confirm_timeout of the
    /// subscription, named by the deployment) which the deployment confirms after it reached the server again.
    /// </summary>
    private ActivatorRequest WithRollbackDeadline(ActivatorRequest request, string? subscriptionName)
    {
        var timeout = _settings.ConfirmTimeoutFor(subscriptionName);
        var switches = request.Type == ActivatorRequestTypes.HomeManager
            || (request.Type == ActivatorRequestTypes.NixOS && request.Mode is { } m && NixosModes.SetsProfile(m));
        if (_deploymentSid is null || timeout <= 0 || !switches) return request;
        _asksForRollbackDeadline = true;
        Line($"rollback deadline: the activator rolls back unless this garden reaches the server within {timeout}s" + (request.Mode == NixosModes.Boot ? " of the next boot" : " after the switch"));
        return request with { Deployment = _deploymentSid, ConfirmTimeout = timeout };
    }

    private void Finish(string result, string action, PolicyAction? executed, bool rollbackArmed = false)
    {
        Timers.CancelAll();
        // Only the lines not yet streamed: the server appends.
        Context.Parent.Tell(new SeedExecution.Done(_seed.Sid, result, action, _lines.ToString(), executed, rollbackArmed));
        Become(() => { ReceiveAny(_ => { }); });
    }

    private static string NewId() => Sid.New("act");

}
