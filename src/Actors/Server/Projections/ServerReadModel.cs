using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;
using static Sower.Messages.Deployments.DeploymentEvents;
using static Sower.Messages.Gardens.GardenEvents;
using static Sower.Messages.Seeds.SeedEvents;

namespace Sower.Actors.Server.Projections;

/// <summary>
/// The read side the REST API (and later the UI) lists from: every seed, garden and deployment, folded from tagged
/// events with the same pure Apply functions the entities use. Immutable; the projector swaps in a new one per event.
/// </summary>
public sealed record ServerReadModel(
    ImmutableDictionary<string, SeedState> Seeds,
    ImmutableDictionary<string, GardenState> Gardens,
    ImmutableDictionary<string, ConnectionId> OpenSessions,
    ImmutableDictionary<string, GardenId> SubscriptionOwners,
    ImmutableDictionary<string, DeploymentRecord> Deployments,
    ImmutableDictionary<string, string>? Presence = null)
{
    public static readonly ServerReadModel Empty = new(
        ImmutableDictionary<string, SeedState>.Empty, ImmutableDictionary<string, GardenState>.Empty, ImmutableDictionary<string, ConnectionId>.Empty,
        ImmutableDictionary<string, GardenId>.Empty, ImmutableDictionary<string, DeploymentRecord>.Empty);

    /// <summary>A live connection on any current cluster member (<see cref="Presence"/>, from GardenPresenceActor): a node
    /// that restarted still sees gardens connected elsewhere, and the gardens of a node that is gone are offline. Before
    /// presence was first reported: a session this process saw start and not end.</summary>
    public bool IsOnline(GardenId garden) => Presence is { } live ? live.ContainsKey(garden.Value) : OpenSessions.ContainsKey(garden.Value);

    public SubscriptionRecord? FindSubscription(SubscriptionId sid) =>
        SubscriptionOwners.TryGetValue(sid.Value, out var garden) && Gardens.TryGetValue(garden.Value, out var g) ? g.FindSubscription(sid) : null;

    /// <summary>Folds one event. Sessions that started before this process did are not open (a crash never ended them).</summary>
    public ServerReadModel Apply(object e, Instant processStarted) => e switch
    {
        ISeedEvent s => this with { Seeds = Seeds.SetItem(s.SeedId.Value, Seeds.GetValueOrDefault(s.SeedId.Value, SeedState.Empty).Apply(s)) },
        IGardenEvent g => ApplyGarden(g, processStarted),
        IDeploymentEvent d => ApplyDeployment(d),
        _ => this,
    };

    private ServerReadModel ApplyGarden(IGardenEvent e, Instant processStarted)
    {
        var garden = Gardens.GetValueOrDefault(e.GardenId.Value) ?? GardenState.Empty(e.GardenId);
        var next = this with { Gardens = Gardens.SetItem(e.GardenId.Value, garden.Apply(e)) };
        return e switch
        {
            GardenSessionStarted s when s.At >= processStarted => next with { OpenSessions = OpenSessions.SetItem(s.GardenId.Value, s.Connection) },
            GardenSessionEnded s when OpenSessions.TryGetValue(s.GardenId.Value, out var open) && open == s.Connection =>
                next with { OpenSessions = OpenSessions.Remove(s.GardenId.Value) },
            GardenRemoved r => next with
            {
                OpenSessions = OpenSessions.Remove(r.GardenId.Value),
                SubscriptionOwners = SubscriptionOwners.RemoveRange(garden.Subscriptions.Values.Select(x => x.Sid.Value)),
            },
            GardenSubscriptionsSynced s => next with
            {
                SubscriptionOwners = SubscriptionOwners.RemoveRange(s.Removed.Select(r => r.Sid.Value))
                    .SetItems(s.Subscriptions.Select(r => KeyValuePair.Create(r.Sid.Value, r.Garden))),
            },
            _ => next,
        };
    }

    private ServerReadModel ApplyDeployment(IDeploymentEvent e)
    {
        var state = new DeploymentEntityState(Deployments.GetValueOrDefault(e.DeploymentId.Value)).Apply(e);
        return state.Deployment is null ? this : this with { Deployments = Deployments.SetItem(e.DeploymentId.Value, state.Deployment) };
    }
}

/// <summary>What changed in the read model; published on the local EventStream for live views.</summary>
public sealed record ReadModelChanged(string Kind, string Sid);

/// <summary>Holds the current read model for readers outside the actor system (API handlers).</summary>
public sealed class ReadModelStore
{
    private ServerReadModel _current = ServerReadModel.Empty;

    public ServerReadModel Current => Volatile.Read(ref _current);

    /// <summary>Raised after every change, on the projector's thread; handlers must be quick.</summary>
    public event Action<ReadModelChanged>? Changed;

    private volatile string? _projectorProblem = "not started";

    /// <summary>Null while the projector follows every tag; otherwise why not (readiness reports it).</summary>
    public string? ProjectorProblem => _projectorProblem;

    internal void SetProjectorProblem(string? problem) => _projectorProblem = problem;

    internal void Set(ServerReadModel model, ReadModelChanged change)
    {
        Volatile.Write(ref _current, model);
        Changed?.Invoke(change);
    }
}
