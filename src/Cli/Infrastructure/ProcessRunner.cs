using System.ComponentModel;
using System.Diagnostics;

namespace Sower.Cli.Infrastructure;

public sealed record ProcessOutput(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a helper program (git, jj, nix, sower-activator) and captures its output; null when it is not installed.</summary>
public static class ProcessRunner
{
    public static ProcessOutput? Run(string program, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            return null;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return new ProcessOutput(124, "", $"{program} timed out");
            }
            return new ProcessOutput(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>
    /// The same, awaitable: for the long, parallel nix runs of <c>sower build</c>. Killed (process tree) on timeout
    /// (exit 124) or cancellation; <paramref name="environment"/> entries are added to (null: removed from) the environment.
    /// </summary>
    public static async Task<ProcessOutput?> RunAsync(string program, IEnumerable<string> args, TimeSpan timeout, CancellationToken cancellation,
        string? workingDirectory = null, string? stdin = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            return null;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program exited without reading its input: its exit code and stderr tell why.
            }
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                cancellation.ThrowIfCancellationRequested();
                return new ProcessOutput(124, await stdout, $"{program} timed out after {timeout.TotalSeconds:0} s\n{await stderr}");
            }
            return new ProcessOutput(process.ExitCode, await stdout, await stderr);
        }
    }
}
