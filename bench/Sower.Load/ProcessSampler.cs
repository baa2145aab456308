namespace Sower.Load;

/// <summary>The server process's RSS and CPU from /proc, sampled every 250 ms: CPU as cores used over the last second.</summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly Queue<(DateTime At, double CpuSeconds)> _window = new();
    private double _peakCores;
    private long _peakRss;

    public ProcessSampler(int pid)
    {
        _pid = pid;
        _loop = pid > 0 ? Loop() : Task.CompletedTask;
    }

    public bool Available => _pid > 0 && File.Exists($"/proc/{_pid}/stat");

    public long RssBytes()
    {
        if (_pid <= 0) return 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
                }
            }
        }
        catch (IOException) { }
        return 0;
    }

    public double CpuSeconds()
    {
        if (_pid <= 0) return 0;
        try
        {
            var stat = File.ReadAllText($"/proc/{_pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime is field 14, stime field 15.
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
        }
        catch (IOException) { return 0; }
    }

    /// <summary>Starts a new peak window (CPU and RSS peaks since now).</summary>
    public void ResetPeaks()
    {
        lock (_gate) { _peakCores = 0; _peakRss = 0; }
    }

    public (double Cores, long Rss) Peaks()
    {
        lock (_gate) return (_peakCores, _peakRss);
    }

    /// <summary>Average cores used over the given quiet period.</summary>
    public async Task<double> AverageCores(TimeSpan period)
    {
        var before = CpuSeconds();
        var started = DateTime.UtcNow;
        await Task.Delay(period);
        return (CpuSeconds() - before) / (DateTime.UtcNow - started).TotalSeconds;
    }

    private async Task Loop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = DateTime.UtcNow;
                var cpu = CpuSeconds();
                var rss = RssBytes();
                lock (_gate)
                {
                    _window.Enqueue((now, cpu));
                    while (_window.Count > 1 && (now - _window.Peek().At).TotalSeconds > 1.0) _window.Dequeue();
                    var first = _window.Peek();
                    var span = (now - first.At).TotalSeconds;
                    if (span >= 0.7) _peakCores = Math.Max(_peakCores, (cpu - first.CpuSeconds) / span);
                    _peakRss = Math.Max(_peakRss, rss);
                }
                await Task.Delay(250, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
