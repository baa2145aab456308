using Akka.Actor;
using Akka.Event;
using NodaTime;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>What the metrics actor needs: the textfile (<c>metrics_textfile</c>; null: none yet), where to keep its counters, and the clock.</summary>
public sealed record GardenMetricsSettings(string? TextfilePath, string StateDirectory, GardenStateStore Store, IClock Clock, string Version, TimeSpan? Interval = null)
{
    /// <summary>At least this often the file is rewritten (its mtime and the last-contact time move while connected).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    public TimeSpan EffectiveInterval => Interval ?? DefaultInterval;

    public static GardenMetricsSettings For(GardenConfig config, GardenStateStore store, IClock clock, string version) =>
        new(config.MetricsTextfile, config.StateDirectory, store, clock, version);
}

/// <summary>
/// Keeps the garden's metrics textfile for node_exporter (issue 19.1): listens to the garden's EventStream (connection,
/// deployments ended, the activation gate), folds each event into <see cref="GardenMetrics"/>, saves the counters
/// (<see cref="GardenMetricsStore"/>) and rewrites the file atomically (<see cref="MetricsTextfileWriter"/>) on every change
/// and every <see cref="GardenMetricsSettings.EffectiveInterval"/>. A file it cannot write is logged (once per distinct
/// error) and tried again; it never stops the garden. Without a <c>metrics_textfile</c> it does no I/O; a reload that sets,
/// moves or removes the setting takes effect at once (a moved or removed file is deleted, so node_exporter does not serve
/// frozen values from it).
/// </summary>
public sealed class GardenMetricsActor : ReceiveActor, IWithTimers
{
    private readonly GardenMetricsSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _savePath;
    private GardenMetrics _metrics;
    private string? _saved;
    private string? _lastError;
    private string? _textfile;

    public GardenMetricsActor(GardenMetricsSettings settings)
    {
        _settings = settings;
        _savePath = GardenMetricsStore.PathIn(settings.StateDirectory);
        _metrics = GardenMetrics.Initial(settings.Version);

        Receive<GardenDaemonEvents.ConnectionChanged>(c =>
        {
            if (c.Connected == _metrics.Connected) return;
            Update(_metrics.WithConnection(c.Connected, Now));
        });
        Receive<GardenMetricsEvents.DeploymentEnded>(e =>
        {
            var names = (settings.Store.Current.Subscriptions ?? []).ToDictionary(s => s.Sid, s => s.Spec.Name, StringComparer.Ordinal);
            Update(_metrics.WithDeploymentFinished(e.Result, Now,
                e.Seeds.Select(s => new FinishedSeed(names.GetValueOrDefault(s.SubscriptionSid) ?? s.SubscriptionSid, s.Result, s.Activated))));
        });
        Receive<GardenMetricsEvents.TextfileConfigured>(c => Configure(c.Path));
        Receive<GardenMetricsEvents.GateChanged>(g => Update(_metrics with { Inhibited = g.Inhibited, WaitingForRebootLock = g.WaitingForRebootLock }));
        Receive<Refresh>(_ =>
        {
            var next = _metrics.Touch(Now);
            if (settings.Store.Current.Subscriptions is { } synced) next = next.KeepSubscriptions(synced.Select(s => s.Spec.Name).ToHashSet(StringComparer.Ordinal));
            Update(next);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GardenMetricsSettings settings) => Akka.Actor.Props.Create(() => new GardenMetricsActor(settings));

    private Instant Now => _settings.Clock.GetCurrentInstant();

    protected override void PreStart()
    {
        var events = Context.System.EventStream;
        events.Subscribe(Self, typeof(GardenDaemonEvents.ConnectionChanged));
        events.Subscribe(Self, typeof(GardenMetricsEvents.DeploymentEnded));
        events.Subscribe(Self, typeof(GardenMetricsEvents.GateChanged));
        events.Subscribe(Self, typeof(GardenMetricsEvents.TextfileConfigured));
        Timers.StartPeriodicTimer("refresh", Refresh.Instance, _settings.EffectiveInterval);
        Configure(_settings.TextfilePath);
    }

    /// <summary>Starts (restoring the saved counters), moves or stops the textfile.</summary>
    private void Configure(string? path)
    {
        if (path == _textfile) return;
        if (_textfile is { } old)
        {
            try { File.Delete(old); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log.Warning("Could not remove the old metrics textfile {Path}: {Reason}", old, e.Message); }
        }
        var wasOff = _textfile is null;
        _textfile = path;
        _lastError = null;
        if (path is null) return;
        if (wasOff)
        {
            try
            {
                if (GardenMetricsStore.Load(_savePath, _settings.Version) is { } restored) _metrics = _metrics.RestoredFrom(restored);
            }
            catch (InvalidDataException e)
            {
                _log.Warning("{Reason}; the garden's metrics start again from zero", e.Message);
            }
            _saved = GardenMetricsStore.Serialize(_metrics);
        }
        Update(_metrics);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Update(GardenMetrics next)
    {
        _metrics = next;
        if (_textfile is null) return;
        try
        {
            var persisted = GardenMetricsStore.Serialize(_metrics);
            if (persisted != _saved)
            {
                GardenStateStore.EnsureDirectory(_settings.StateDirectory);
                GardenMetricsStore.Save(_savePath, _metrics);
                _saved = persisted;
            }
            MetricsTextfileWriter.Write(_textfile, GardenMetricsText.Format(_metrics));
            if (_lastError is not null) _log.Info("Metrics textfile {Path} written again", _textfile);
            _lastError = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (e.Message != _lastError) _log.Warning("Cannot write the garden's metrics ({Path}): {Reason}; trying again in {RetrySeconds}s", _textfile, e.Message, Math.Round(_settings.EffectiveInterval.TotalSeconds));
            _lastError = e.Message;
        }
    }

    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }
}
