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
}
