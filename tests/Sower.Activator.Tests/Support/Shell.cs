using System.Diagnostics;

namespace Sower.Activator.Tests.Support;

/// <summary>Runs a helper program (nix-build, useradd, …) for test setup and captures its output.</summary>
public static class Shell
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed ({ExitCode}):\n{Stdout}\n{Stderr}");
    }

    public static Result Run(string program, IEnumerable<string> args, IDictionary<string, string>? env = null, byte[]? stdin = null, TimeSpan? limit = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                p.StandardInput.BaseStream.Write(stdin);
            }
            catch (IOException)
            {
            }
        }
        p.StandardInput.Close();
        if (!p.WaitForExit(limit ?? TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, outTask.Result, errTask.Result);
    }

    public static Result Run(string program, params string[] args) => Run(program, (IEnumerable<string>)args);

    /// <summary>Starts a cleanup shell command without waiting for it (it outlives the test host).</summary>
    public static void Detach(string command)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command + " >/dev/null 2>&1");
        Process.Start(psi)?.Dispose();
    }

    public static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, name)));
}
