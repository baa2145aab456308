namespace Sower.Cluster.Tests.Support;

/// <summary>Calls the API through the load balancer every 250 ms, as a client would, and records every answer that is not
/// 200 (status and time) while it runs.</summary>
public sealed class ApiProbe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _failures = [];

    public ApiProbe(string url, string token, params string[] paths)
    {
        _loop = Task.Run(async () =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            while (!_stop.IsCancellationRequested)
            {
                foreach (var path in paths)
                {
                    try
                    {
                        using var response = await http.GetAsync(url + path, _stop.Token);
                        Requests++;
                        if ((int)response.StatusCode != 200) Fail($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                    catch (Exception e) when (!_stop.IsCancellationRequested)
                    {
                        Requests++;
                        Fail($"{path}: {e.GetType().Name} {e.Message}");
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                try { await Task.Delay(250, _stop.Token); }
                catch (OperationCanceledException) { return; }
            }
        });
    }

    public int Requests { get; private set; }

    public IReadOnlyList<string> Failures
    {
        get { lock (_failures) return [.. _failures]; }
    }

    private void Fail(string what)
    {
        lock (_failures) _failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {what}");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
    }
}
