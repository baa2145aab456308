using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sower.Garden.Tests;

/// <summary>The real <c>sower-garden</c> process, with its output collected line by line.</summary>
public sealed class GardenProcess : IDisposable
{
    private readonly Process _process;

    /// <param name="prefix">A wrapper to run the garden through (e.g. <c>setpriv --regid=…</c>); the garden itself by default.</param>
    public GardenProcess(string configFile, IDictionary<string, string>? environment = null, IReadOnlyList<string>? prefix = null, params string[] extraArguments)
    {
        var start = new ProcessStartInfo(prefix is { Count: > 0 } ? prefix[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (prefix is { Count: > 0 })
        {
            foreach (var a in prefix.Skip(1)) start.ArgumentList.Add(a);
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sower-garden.dll"));
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configFile);
        foreach (var argument in extraArguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("NOTIFY_SOCKET");
        start.Environment.Remove("WATCHDOG_USEC");
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Lines.Enqueue(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public ConcurrentQueue<string> Lines { get; } = new();
    public int Pid => _process.Id;
    public Process Process => _process;

    public string WaitForLine(string contains, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var hit = Lines.FirstOrDefault(l => l.Contains(contains, StringComparison.Ordinal));
            if (hit is not null) return hit;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no line containing \"{contains}\" within {timeout}; output:\n{string.Join('\n', Lines)}");
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"sower-garden did not exit; output:\n{string.Join('\n', Lines)}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Signal(int signal) => Kill(_process.Id, signal);

    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }
}
