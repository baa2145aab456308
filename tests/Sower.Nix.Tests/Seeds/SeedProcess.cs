using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sower.Nix.Tests.Seeds;

/// <summary>Runs the real programs the seed-library tests need (nix, the sower CLI, the activator) and captures their output.</summary>
public static class SeedProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result Ok(string what)
        {
            Assert.True(ExitCode == 0, $"{what} failed ({ExitCode}):\n{Stderr}\n{Stdout}");
            return this;
        }
    }

    /// <summary>Offline Nix: no substituter to wait on, no sandbox (the fixture builders call /bin tools).</summary>
    public const string NixConfig = "substituters =\nsandbox = false\n";

    public static string SeedsDir => Path.Combine(NixpkgsLib.RepositoryRoot, "nix", "tests", "seeds");

    public static string LibArg => $"import {NixpkgsLib.Path}/lib";

    public static Result Run(string program, IEnumerable<string> args, IDictionary<string, string?>? env = null, string? stdin = null, string? cwd = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? SeedsDir,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NIX_CONFIG"] = NixConfig;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
        {
            if (v is null) start.Environment.Remove(k);
            else start.Environment[k] = v;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not exit within 180 s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>An attribute of nix/tests/seeds/library.nix, evaluated strictly to JSON.</summary>
    public static Result Eval(string attr) =>
        Run("nix-instantiate", ["--eval", "--strict", "--json", "library.nix", "--arg", "lib", LibArg, "-A", attr]);

    public static JsonNode EvalJson(string attr) => JsonNode.Parse(Eval(attr).Ok($"evaluating {attr}").Stdout)!;

    /// <summary>Builds an attribute of library.nix and returns its output path.</summary>
    public static string Build(string attr) =>
        Run("nix-build", ["library.nix", "--arg", "lib", LibArg, "-A", attr, "--no-out-link"]).Ok($"building {attr}").Stdout.Trim();

    /// <summary>A built program of this repository (src/.../bin/&lt;configuration&gt;/&lt;tfm&gt;/NAME.dll), run with dotnet.</summary>
    public static string Dll(string project, string name)
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(NixpkgsLib.RepositoryRoot, "src", project, "bin", tests.Parent!.Name, tests.Name, name + ".dll");
        Assert.True(File.Exists(dll), $"missing {dll}");
        return dll;
    }

    public static string Dotnet => Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
}
