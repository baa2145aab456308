using System.Diagnostics;

namespace Sower.Testing.Processes;

/// <summary>
/// A long-running product process (server, garden, activator socket) started in its own session and process group
/// (<c>setsid</c>, so pgid = pid), with stdout and stderr appended to a log file that survives restarts. Killing
/// signals the whole group, so children (runuser's garden, socket-activated activators) go with it.
/// </summary>
public sealed class ManagedProcess : IDisposable
{
    private readonly string _label;
    private readonly string[] _command;
    private readonly Dictionary<string, string?> _env;
    private Process? _process;

    public ManagedProcess(string label, string logFile, IEnumerable<string> command, IDictionary<string, string?>? env = null)
    {
        _label = label;
        LogFile = logFile;
        _command = command.ToArray();
        _env = env is null ? new() : new(env);
    }

    public string LogFile { get; }

    public bool Running => _process is { HasExited: false };

    /// <summary>The exit status once the process has exited by itself (null while it runs or after Kill9/Stop).</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public int? Pid => _process?.Id;

    public void Start()
    {
        if (Running) throw new InvalidOperationException($"{_label} is already running");
        File.AppendAllText(LogFile, $"==== {DateTime.UtcNow:O} starting {_label}: {string.Join(' ', _command)}\n");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        // sh execs setsid, which (not being a group leader) calls setsid() and execs the program: one pid throughout.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=$1; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(LogFile);
        foreach (var c in _command) psi.ArgumentList.Add(c);
        foreach (var (k, v) in _env)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        // The product reads its own SOWER_* settings from files and flags here, never from the test's environment.
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("SOWER_", StringComparison.Ordinal) && !_env.ContainsKey(k)).ToList()) psi.Environment.Remove(k);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {_label}");
        _process.StandardInput.Close();
    }

    /// <summary>kill -9 of the whole process group: no shutdown code runs.</summary>
    public void Kill9()
    {
        if (_process is null) return;
        Native.KillGroup(_process.Id, Native.SIGKILL);
        _process.WaitForExit(10_000);
        File.AppendAllText(LogFile, $"==== {DateTime.UtcNow:O} killed {_label} with SIGKILL\n");
        _process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM to the group and wait for a clean exit; SIGKILL when it takes too long.</summary>
    public void Stop(TimeSpan? grace = null)
    {
        if (_process is null) return;
        Native.KillGroup(_process.Id, Native.SIGTERM);
        if (!_process.WaitForExit((int)(grace ?? TimeSpan.FromSeconds(20)).TotalMilliseconds))
        {
            Native.KillGroup(_process.Id, Native.SIGKILL);
            _process.WaitForExit(10_000);
        }
        File.AppendAllText(LogFile, $"==== {DateTime.UtcNow:O} stopped {_label}\n");
        _process.Dispose();
        _process = null;
    }

    public string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public int Count(string text)
    {
        var log = Log();
        var n = 0;
        for (var i = log.IndexOf(text, StringComparison.Ordinal); i >= 0; i = log.IndexOf(text, i + text.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public string Tail(int lines = 40)
    {
        var all = Log().Split('\n');
        return $"---- {_label} ({LogFile}), last {lines} lines ----\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public void Dispose()
    {
        try { Kill9(); }
        catch (Exception e) when (e is InvalidOperationException or IOException) { }
    }
}
