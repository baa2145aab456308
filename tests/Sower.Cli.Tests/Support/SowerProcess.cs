using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sower.Cli.Tests.Support;

/// <summary>Runs the real built <c>sower</c> (sower.dll next to the tests) as a child process with a clean environment.</summary>
public static class SowerProcess
{
    public static CliResult Run(IDictionary<string, string?>? env, string? workingDirectory, params string[] args)
    {
        var dll = CliDll();
        var start = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var name in new[] { "SOWER_ENDPOINT", "SOWER_ACCESS_TOKEN", "SOWER_ACCESS_TOKEN_FILE", "SOWER_CONFIG_FILE", "SOWER_ADMIN_SOCKET", "XDG_CONFIG_HOME" })
        {
            start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // A home without client.json, so the default config file rule finds nothing.
        start.Environment["HOME"] = Path.GetTempPath();
        foreach (var (key, value) in env ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"sower {string.Join(' ', args)} did not exit within 120 s");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// sower.dll in the CLI's own build output (src/Cli/bin/&lt;config&gt;/&lt;tfm&gt;), next to its SignalR client assemblies.
    /// The copy beside the tests lacks them: this test project gets ASP.NET Core from the shared framework, which the
    /// CLI's runtimeconfig does not name.
    /// </summary>
    public static string CliDll()
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var repo = tests.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(repo, "src", "Cli", "bin", tests.Parent!.Name, tests.Name, "sower.dll");
        Assert.True(File.Exists(dll), $"missing {dll}");
        return dll;
    }

    public static JsonObject JsonLine(CliResult result)
    {
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one JSON line, got: {result.Stdout}\nstderr: {result.Stderr}");
        return Assert.IsType<JsonObject>(JsonNode.Parse(lines[0]));
    }

    public static List<JsonObject> JsonLines(CliResult result) =>
        [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Assert.IsType<JsonObject>(JsonNode.Parse(l)))];
}
