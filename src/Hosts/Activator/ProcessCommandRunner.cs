using System.Diagnostics;

namespace Sower.Activator;

/// <summary>
/// Runs commands as real processes. Every child is started through util-linux <c>setsid</c>, so it leads its own
/// session and process group and a timeout can kill everything it spawned. Dropping to another account goes through
/// util-linux <c>setpriv --reuid --regid --init-groups</c>: .NET cannot change credentials between fork and exec,
/// and setpriv does exactly that and nothing else. Children get no stdin and never inherit the client socket.
/// </summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    private static readonly string[] SocketActivationVariables = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC"];
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(2);

    private readonly string _setsid;
    private readonly string _setpriv;

    public ProcessCommandRunner()
    {
        _setsid = FindOnPath("setsid") ?? "setsid";
        _setpriv = FindOnPath("setpriv") ?? "setpriv";
    }

    /// <summary>The argument vector that is executed: <c>setsid [setpriv …  --] program args…</c> (pure, for tests).</summary>
    public IReadOnlyList<string> CommandLineFor(CommandSpec spec)
    {
        var argv = new List<string> { _setsid };
        if (spec.RunAs is { } user)
        {
            argv.AddRange([_setpriv, $"--reuid={user.Uid}", $"--regid={user.Gid}", "--init-groups", "--"]);
        }
        argv.Add(spec.Program);
        argv.AddRange(spec.Arguments);
        return argv;
    }

    public async Task<CommandResult> RunAsync(CommandSpec spec, Action<string> stdout, Action<string> stderr, CancellationToken timeout)
    {
        var argv = CommandLineFor(spec);
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory ?? "/",
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        if (spec.Environment is { } env)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        else
        {
            foreach (var k in SocketActivationVariables) psi.Environment.Remove(k);
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            stderr($"cannot start {argv[0]}: {e.Message}");
            return new CommandResult(127, TimedOut: false);
        }
        process.StandardInput.Close();
        var outTask = Pump(process.StandardOutput, stdout);
        var errTask = Pump(process.StandardError, stderr);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            KillGroup(process.Id);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        // A grandchild that escaped the group could hold the pipes open forever: drain briefly, then move on.
        try
        {
            await Task.WhenAll(outTask, errTask).WaitAsync(OutputDrainLimit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        return new CommandResult(process.ExitCode, timedOut);
    }

    private static void KillGroup(int pid)
    {
        // setsid made the child the leader of its own process group: -pid reaches every process it started.
        Native.kill(-pid, Native.SIGKILL);
        Native.kill(pid, Native.SIGKILL);
    }

    private static async Task Pump(StreamReader reader, Action<string> sink)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) sink(line);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    public static string? FindOnPath(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal)) return File.Exists(name) ? name : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
