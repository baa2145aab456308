using Microsoft.AspNetCore.Components;
using NodaTime;
using Sower.Actors.Server.Projections;
using Sower.Server.Ui.Services;

namespace Sower.Server.Ui.Components;

/// <summary>
/// A view of the read model that re-renders when the projection reports a change it cares about: no polling, no reloads.
/// Bursts (a log streaming in) are coalesced into one render per short interval, so a chatty garden cannot flood the
/// browser. Each render sees one consistent snapshot of the model.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(80);
    private int _pending;
    private bool _disposed;

    [Inject] protected IConsoleReadModel ReadModel { get; set; } = default!;
    [Inject] protected IClock Clock { get; set; } = default!;
    [CascadingParameter] protected BrowserZone Zone { get; set; } = BrowserZone.Utc;

    /// <summary>The snapshot this render shows.</summary>
    protected ServerReadModel Model { get; private set; } = ServerReadModel.Empty;

    protected Instant Now => Clock.GetCurrentInstant();

    /// <summary>Whether a change concerns this view; everything by default.</summary>
    protected virtual bool Affects(ReadModelChanged change) => true;

    /// <summary>Called with the new snapshot before the re-render a change causes.</summary>
    protected virtual void OnModelChanged() { }

    protected override void OnInitialized()
    {
        Model = ReadModel.Current;
        ReadModel.Changed += OnChanged;
    }

    private void OnChanged(ReadModelChanged change)
    {
        if (_disposed || !Affects(change) || Interlocked.Exchange(ref _pending, 1) == 1) return;
        _ = InvokeAsync(async () =>
        {
            await Task.Delay(Coalesce);
            Interlocked.Exchange(ref _pending, 0);
            if (_disposed) return;
            Model = ReadModel.Current;
            OnModelChanged();
            StateHasChanged();
        });
    }

    public void Dispose()
    {
        _disposed = true;
        ReadModel.Changed -= OnChanged;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }
}
