using System.Diagnostics;
using Sower.Cli;
using Sower.Cli.Commands;

namespace Sower.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs <c>sower</c> in-process through its entry point, or as the real built program in a child process.</summary>
public static class CliRunner
{
    public static CliResult InProcessWithStdin(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(stdin);
        var code = Program.Run(args, new CliIo(output, error, input));
        return new CliResult(code, output.ToString(), error.ToString());
    }

    public static CliResult InProcess(params string[] args) => InProcessWithStdin("", args);

    /// <summary>The real program: the `sower` executable built next to the tests (its apphost), or `dotnet sower.dll`
    /// where no apphost was produced.</summary>
    public static CliResult Process(string? stdin, params string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "sower.exe" : "sower");
        var dll = Path.Combine(AppContext.BaseDirectory, "sower.dll");
        Assert.True(File.Exists(dll), $"missing {dll}");
        ProcessStartInfo start;
        if (File.Exists(apphost))
        {
            start = new ProcessStartInfo(apphost);
            // The apphost finds the runtime through DOTNET_ROOT; point it at the runtime running these tests.
            if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is null)
            {
                var runtimeDirectory = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(); // <root>/shared/Microsoft.NETCore.App/<version>/
                start.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
            }
        }
        else
        {
            start = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet");
            start.ArgumentList.Add(dll);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(60_000), "sower did not exit within 60 s");
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
