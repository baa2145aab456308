using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Sower.Garden;

/// <summary>
/// Gives memory back to the host once the garden goes quiet after work (start-up, a deployment): one compacting,
/// decommitting GC and <c>malloc_trim</c>. The garden is a resident daemon that idles for hours; without this it keeps
/// the GC's committed regions and the native heap's free pages of its busiest moment (about 10 MiB of anonymous memory
/// after start-up, docs/benchmarks.md, "Idle settings"). Checked every <see cref="IdleMemoryTrimPolicy.Tick"/>; a check
/// reads one counter, a trim pauses the process for a few milliseconds.
/// </summary>
public sealed class IdleMemoryTrimmer : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var policy = new IdleMemoryTrimPolicy(GC.GetTotalAllocatedBytes());
        using var timer = new PeriodicTimer(IdleMemoryTrimPolicy.Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!policy.ShouldTrim(GC.GetTotalAllocatedBytes())) continue;
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                NativeHeap.Trim();
                policy.Trimmed(GC.GetTotalAllocatedBytes());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static class NativeHeap
    {
#pragma warning disable SYSLIB1054 // one integer argument, nothing to marshal
        [DllImport("libc", EntryPoint = "malloc_trim")]
        private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054

        // glibc only; another libc (musl) has no malloc_trim and nothing to trim this way.
        public static void Trim()
        {
            try { MallocTrim(0); }
            catch (EntryPointNotFoundException) { }
            catch (DllNotFoundException) { }
        }
    }
}

/// <summary>
/// When to trim: after at least <see cref="MinimumWork"/> bytes were allocated since the last trim (there is something to
/// give back), at the first tick that allocated less than <see cref="QuietBelow"/> (the work is over). A garden that is
/// streaming a deployment is never interrupted; an idle one (a keep-alive every 15 s) trims at most every few hours.
/// </summary>
public sealed class IdleMemoryTrimPolicy(long allocatedAtStart)
{
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(5);
    public const long MinimumWork = 4 * 1024 * 1024;
    public const long QuietBelow = 256 * 1024;

    private long _atLastTrim;
    private long _atLastTick = allocatedAtStart;

    public bool ShouldTrim(long allocated)
    {
        var quiet = allocated - _atLastTick < QuietBelow;
        _atLastTick = allocated;
        return quiet && allocated - _atLastTrim >= MinimumWork;
    }

    public void Trimmed(long allocated)
    {
        _atLastTrim = allocated;
        _atLastTick = allocated;
    }
}
