namespace Sower.Server.Ui.Services;

/// <summary>
/// Re-reads state the read model does not carry (reboot leases, inhibitions, rollouts live in their own actors) while a
/// page is open: every <c>every</c>, and on demand. One read at a time; stops for good when the page goes away or a read
/// throws (a closed circuit).
/// </summary>
public sealed class PeriodicRefresh : IDisposable
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Task> _tick;
    private int _running;

    public PeriodicRefresh(Func<Task> tick, TimeSpan? every = null)
    {
        _tick = tick;
        _ = Loop(every ?? Default);
    }

    /// <summary>Reads now, unless a read is already under way (its result is at most a moment old).</summary>
    public async Task NowAsync()
    {
        if (_stop.IsCancellationRequested || Interlocked.Exchange(ref _running, 1) == 1) return;
        try
        {
            await _tick();
        }
        catch (Exception) when (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        finally
        {
            Interlocked.Exchange(ref _running, 0);
        }
    }

    private async Task Loop(TimeSpan every)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) await NowAsync();
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Cancel only: a read finishing after the page went away may still look at the token.
    public void Dispose() => _stop.Cancel();
}
