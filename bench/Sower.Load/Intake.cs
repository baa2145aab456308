using System.Diagnostics;
using System.Net.Http.Json;

namespace Sower.Load;

/// <summary>Seed intake: K REST submits (distinct artifacts over 64 seed names) from C concurrent clients; seeds/s and latency percentiles.</summary>
public static class Intake
{
    public static async Task<int> Run(LoadOptions options)
    {
        var load = Stats.LoadAverage();
        using var http = LoadGarden.Http(options.Endpoint, options.Token());
        await using var sampler = new ProcessSampler(options.ServerPid);
        var latencies = new double[options.Seeds];
        var failures = 0;
        var next = -1;
        var watch = Stopwatch.StartNew();
        using var limit = new CancellationTokenSource(options.Timeout);
        var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Seeds && !limit.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var name = $"intake{i % 64:00}";
                    using var response = await http.PostAsJsonAsync("/api/v1/seeds", new
                    {
                        name,
                        seed_type = "nixos",
                        artifact = GardenFleet.Artifact(name),
                        tags = new[] { new { key = "git_branch", value = "main" } },
                    }, limit.Token);
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
        }).ToList();
        await Task.WhenAll(workers);
        var elapsed = watch.Elapsed.TotalSeconds;
        var done = Math.Min(options.Seeds, next);
        var sorted = latencies.Take(done).Order().ToList();
        var peaks = sampler.Peaks();
        Console.WriteLine($"| {options.Label} | {done:N0} | {options.Concurrency} | {done / elapsed:0} | {sorted.Count switch { 0 => "–", _ => (Stats.Percentile(sorted, 50) * 1000).ToString("0") }} | "
            + $"{(sorted.Count == 0 ? "–" : (Stats.Percentile(sorted, 99) * 1000).ToString("0"))} | {failures} | {Stats.MiB(peaks.Rss)} | {peaks.Cores:0.00} | {load:0.0} |");
        return 0;
    }

    public const string TableHeader =
        "| server | seeds | concurrency | seeds/s | p50 ms | p99 ms | failed | RSS peak MiB | peak CPU (cores) | load |\n|---|---|---|---|---|---|---|---|---|---|";
}
