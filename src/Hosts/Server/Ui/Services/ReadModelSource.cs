using Sower.Actors.Server.Projections;

namespace Sower.Server.Ui.Services;

/// <summary>The read model the console shows, and its change notifications: the same projection the REST API lists from.
/// An interface only so component tests can feed a model built from real events.</summary>
public interface IConsoleReadModel
{
    ServerReadModel Current { get; }

    /// <summary>Raised after every change, on the projector's thread.</summary>
    event Action<ReadModelChanged>? Changed;
}

public sealed class ReadModelStoreSource(ReadModelStore store) : IConsoleReadModel
{
    public ServerReadModel Current => store.Current;

    public event Action<ReadModelChanged>? Changed
    {
        add => store.Changed += value;
        remove => store.Changed -= value;
    }
}
