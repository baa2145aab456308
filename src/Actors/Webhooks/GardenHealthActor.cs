using System.Collections.Immutable;
using Akka.Actor;
using NodaTime;
using Sower.Actors.Server.Projections;
using Sower.Messages.Deployments;
using Sower.Messages.Webhooks;

namespace Sower.Actors.Webhooks;

/// <summary>
/// Raises <c>garden.stale</c> and <c>garden.failing</c> (one per node, a thin shell over
/// <see cref="GardenHealthNotifications"/>): every <c>checkInterval</c> it looks at the gardens (<see cref="Samples"/> of the read model), and publishes what
/// started since the last look as <see cref="NotificationRaised"/> on the EventStream, where the node's relay takes it to
/// the outbox. The episodes it announced are kept in memory only: after a restart, or on another node, the same
/// episode has the same key and the outbox drops the repeat.
/// </summary>
public sealed class GardenHealthActor : ReceiveActor, IWithTimers
{
    public const string Name = "garden-health";
    private const string TickTimer = "tick";

    private readonly TimeSpan _checkInterval;
    private GardenHealthState _state = GardenHealthState.Empty;

    public GardenHealthActor(Func<IEnumerable<GardenHealthSample>> gardens, IClock clock, GardenHealthSettings settings, TimeSpan checkInterval)
    {
        Receive<Tick>(_ =>
        {
            var (state, raised) = GardenHealthNotifications.Check(_state, gardens(), clock.GetCurrentInstant(), settings);
            _state = state;
            foreach (var n in raised) Context.System.EventStream.Publish(new NotificationRaised(n));
        });
        _checkInterval = checkInterval;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer(TickTimer, Tick.Instance, _checkInterval, _checkInterval);

    /// <summary>Every existing garden as the check sees it, from the read model (the console's rules for both conditions).</summary>
    public static IEnumerable<GardenHealthSample> Samples(ServerReadModel model)
    {
        var byGarden = model.Deployments.Values.ToLookup(d => d.Garden.Value, StringComparer.Ordinal);
        foreach (var g in model.Gardens.Values.Where(g => g.Exists))
        {
            var streak = byGarden[g.Sid.Value]
                .Where(d => d.State is DeploymentState.Completed or DeploymentState.Stale)
                .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Sid.Value, StringComparer.Ordinal)
                .TakeWhile(d => d.State == DeploymentState.Stale || d.Result is DeploymentResult.Failure or DeploymentResult.Partial or DeploymentResult.RolledBack)
                .Select(d => d.Sid.Value)
                .ToImmutableArray();
            yield return new GardenHealthSample(g.Sid.Value, g.Registration!.Name, model.IsOnline(g.Sid), g.LastSeen ?? g.Registration.RegisteredAt, streak);
        }
    }

    public sealed class Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
        private Tick() { }
    }
}
