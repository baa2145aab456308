using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sower.Load;

/// <summary>
/// One fleet run: enroll and connect N load gardens, measure the idle server, submit one seed that every garden
/// follows, and measure seed → every push received and seed → every result recorded (the API's completed count),
/// with errors by kind. Prints one markdown table row (and a JSON line on stderr for scripts).
/// </summary>
public static class GardenFleet
{
    private const string SeedName = "fleet";

    public static async Task<int> Run(LoadOptions options)
    {
        var load = Stats.LoadAverage();
        using var http = LoadGarden.Http(options.Endpoint, options.Token());
        await using var sampler = new ProcessSampler(options.ServerPid);
        var counters = new FleetCounters();
        var gardens = new LoadGarden[options.Gardens];
        var deadline = Stopwatch.StartNew();

        // Enroll (REST, 16 at a time) and connect (32 at a time): both bounded by the phase timeout.
        var connectWatch = Stopwatch.StartNew();
        using (var phase = new CancellationTokenSource(options.Timeout))
        {
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, options.Gardens), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = phase.Token }, async (i, ct) =>
                {
                    var host = $"load-host-{i}-{Guid.NewGuid():N}";
                    HttpResponseMessage response;
                    string text;
                    // A busy server may answer 503 (its ask timed out); enrolling again with the same host identifier re-binds.
                    for (var attempt = 1; ; attempt++)
                    {
                        response = await http.PostAsJsonAsync("/api/v1/gardens/register", new { name = $"load{i:00000}", host_identifier = host }, ct);
                        text = await response.Content.ReadAsStringAsync(ct);
                        if ((int)response.StatusCode != 503 || attempt >= 10) break;
                        counters.Error("enroll_503");
                        await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    }
                    if ((int)response.StatusCode != 201) throw new InvalidOperationException($"enrollment answered {(int)response.StatusCode}: {text}");
                    var body = JsonDocument.Parse(text).RootElement;
                    gardens[i] = new LoadGarden(body.GetProperty("sid").GetString()!, body.GetProperty("credential").GetString()!, counters);
                });
                var enrolled = connectWatch.Elapsed;
                Console.Error.WriteLine($"[{options.Label}] {options.Gardens} enrolled in {enrolled.TotalSeconds:0.0} s");
                connectWatch.Restart();
                await Parallel.ForEachAsync(gardens, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = phase.Token },
                    async (g, ct) => await g.Connect(options.Endpoint, SeedName).WaitAsync(ct));
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"[{options.Label}] enrolling/connecting did not finish within {options.Timeout.TotalSeconds} s");
                await DisposeAll(gardens);
                return 1;
            }
        }
        var connectSeconds = connectWatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"[{options.Label}] {options.Gardens} connected and synced in {connectSeconds:0.0} s ({options.Gardens / connectSeconds:0}/s)");

        // Idle: let start-up work settle, then measure CPU over options.Idle (10 s by default) and RSS.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Console.Error.WriteLine($"[{options.Label}] idle: measuring CPU for {options.Idle.TotalSeconds:0} s");
        var idleCores = await sampler.AverageCores(options.Idle);
        var idleRss = sampler.RssBytes();
        var completedBefore = await Completed(http);

        // The rollout: one seed that every garden follows.
        sampler.ResetPeaks();
        var submittedAt = Stopwatch.GetTimestamp();
        var submit = await http.PostAsJsonAsync("/api/v1/seeds", new
        {
            name = SeedName,
            seed_type = "nixos",
            artifact = Artifact(SeedName),
            tags = new[] { new { key = "git_branch", value = "main" } },
        });
        if (!submit.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"[{options.Label}] seed submit answered {(int)submit.StatusCode}: {await submit.Content.ReadAsStringAsync()}");
            await DisposeAll(gardens);
            return 1;
        }
        double? allRecorded = null;
        var rolloutLimit = Stopwatch.StartNew();
        var completed = 0;
        while (rolloutLimit.Elapsed < options.Timeout)
        {
            completed = await Completed(http) - completedBefore;
            if (completed >= options.Gardens)
            {
                allRecorded = Stopwatch.GetElapsedTime(submittedAt).TotalSeconds;
                break;
            }
            await Task.Delay(200);
        }
        // A short grace period to see late duplicates.
        await Task.Delay(TimeSpan.FromSeconds(allRecorded is null ? 0 : 6));
        var peaks = sampler.Peaks();
        var received = gardens.Where(g => g.FirstPushAt != 0)
            .Select(g => Stopwatch.GetElapsedTime(submittedAt, g.FirstPushAt).TotalSeconds).Order().ToList();
        var results = gardens.Where(g => g.ResultAt != 0)
            .Select(g => Stopwatch.GetElapsedTime(submittedAt, g.ResultAt).TotalSeconds).Order().ToList();
        var afterRss = sampler.RssBytes();
        var lost = options.Gardens - received.Count;
        var errors = string.Join(", ", counters.Errors.OrderByDescending(e => e.Value).Select(e => $"{e.Value} `{e.Key}`"));
        var problems = new List<string>();
        if (errors.Length > 0) problems.Add(errors);
        if (counters.DuplicatePushes > 0) problems.Add($"{counters.DuplicatePushes} duplicate pushes");
        if (counters.ExtraDeployments > 0) problems.Add($"{counters.ExtraDeployments} extra deployments");
        if (counters.SkippedPushes > 0) problems.Add($"{counters.SkippedPushes} skipped pushes");
        if (lost > 0) problems.Add($"{lost} never pushed");
        if (allRecorded is null) problems.Add($"{completed} of {options.Gardens} recorded within {options.Timeout.TotalSeconds:0} s");
        if (counters.Disconnects > 0) problems.Add($"{counters.Disconnects} disconnects");

        var recorded = allRecorded is { } r ? Stats.Seconds(r) : $"> {options.Timeout.TotalSeconds:0} ({completed})";
        Console.WriteLine($"| {options.Gardens:N0} | {options.Label} | {connectSeconds:0.0} s ({options.Gardens / connectSeconds:0}/s) | {Stats.MiB(idleRss)} | {idleCores:0.00} | "
            + $"{Stats.Seconds(Stats.Percentile(received, 50))} / {Stats.Seconds(Stats.Percentile(received, 99))} / {Stats.Seconds(received.Count == 0 ? double.NaN : received[^1])} ({received.Count}) | "
            + $"{Stats.Seconds(Stats.Percentile(results, 50))} / {Stats.Seconds(Stats.Percentile(results, 99))} | {recorded} | "
            + $"{Stats.MiB(peaks.Rss)} / {Stats.MiB(afterRss)} | {peaks.Cores:0.00} | {(problems.Count == 0 ? "none" : string.Join("; ", problems))} | {load:0.0} |");
        Console.Error.WriteLine(JsonSerializer.Serialize(new
        {
            label = options.Label,
            gardens = options.Gardens,
            connect_s = connectSeconds,
            idle_rss = idleRss,
            idle_cores = idleCores,
            received = received.Count,
            p50 = Stats.Percentile(received, 50),
            p99 = Stats.Percentile(received, 99),
            max = received.Count == 0 ? double.NaN : received[^1],
            all_recorded_s = allRecorded,
            completed,
            peak_rss = peaks.Rss,
            peak_cores = peaks.Cores,
            errors = counters.Errors,
            duplicates = counters.DuplicatePushes,
            extra = counters.ExtraDeployments,
            lost,
            load,
        }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        await DisposeAll(gardens);
        return 0;
    }

    public const string TableHeader =
        "| N | server | connect (rate) | idle RSS MiB | idle CPU (cores) | seed → pushed p50 / p99 / max s (received) | seed → result answered p50 / p99 s | seed → all recorded (API) s | RSS peak / after MiB | peak CPU (cores) | errors | load |\n"
        + "|---|---|---|---|---|---|---|---|---|---|---|---|";

    private static async Task<int> Completed(HttpClient http)
    {
        var page = await http.GetFromJsonAsync<JsonElement>("/api/v1/deployments?state=completed&per_page=1");
        return page.GetProperty("total").GetInt32();
    }

    private static async Task DisposeAll(LoadGarden?[] gardens)
    {
        await Parallel.ForEachAsync(gardens.Where(g => g is not null), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (g, _) => await g!.DisposeAsync());
    }

    /// <summary>A unique, valid store path (32 characters of Nix base-32, then the name).</summary>
    public static string Artifact(string name)
    {
        const string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
        var chars = new char[32];
        for (var i = 0; i < 32; i++) chars[i] = alphabet[Random.Shared.Next(32)];
        return "/nix/store/" + new string(chars) + "-" + name;
    }
}
