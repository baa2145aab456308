using System.Diagnostics;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>Runs a short helper program (nix-build, useradd, the sower CLI) to completion and captures its output.</summary>
public static class Shell
{
    public sealed record Result(string Command, int ExitCode, string Stdout, string Stderr)
    {
        public Result EnsureSuccess() => ExitCode == 0
            ? this
            : throw new InvalidOperationException($"`{Command}` failed with exit code {ExitCode}:\n{Stdout}\n{Stderr}");

        public override string ToString() => $"`{Command}` → {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? limit = null)
    {
        var argList = args.ToList();
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in argList) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        var command = program + " " + string.Join(' ', argList.Select(a => a.Contains(' ') || a.Length == 0 ? $"'{a}'" : a));
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(120));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command}` did not finish within {(limit ?? TimeSpan.FromSeconds(120)).TotalSeconds}s");
        }
        return new Result(command, p.ExitCode, await stdout, await stderr);
    }

    public static Result Run(string program, params string[] args) => RunAsync(program, args).GetAwaiter().GetResult();

    public static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(d => File.Exists(Path.Combine(d, name)));
}
