using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sower.Nix.Tests;

/// <summary>
/// Evaluates the Sower modules offline (nix/tests/eval-*.nix: the real nixpkgs lib, stand-ins for the NixOS and
/// Home-Manager options and for pkgs) against a host configuration, with fake packages whose bin/ links to the real
/// programs built beside the tests; renders units to files for systemd-analyze, and builds the --check-config derivations.
/// </summary>
public sealed class ModuleEvaluation : IDisposable
{
    public ModuleEvaluation()
    {
        Root = Directory.CreateTempSubdirectory("sower-nix").FullName;
        // Nix builds run as the nixbld users: the runCommand checks must reach the fake packages.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        Packages = Path.Combine(Root, "pkgs");
        foreach (var (program, project) in Programs)
        {
            var bin = Path.Combine(Packages, program, "bin");
            Directory.CreateDirectory(bin);
            File.CreateSymbolicLink(Path.Combine(bin, program), Program(program, project));
        }
    }

    public static readonly (string Program, string Project)[] Programs =
        [("sower-server", "Server"), ("sower-garden", "Garden"), ("sower-activator", "Activator")];

    public string Root { get; }
    public string Packages { get; }

    /// <summary>The real program built with the tests (same configuration).</summary>
    public static string Program(string program, string project)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(NixpkgsLib.RepositoryRoot, "src", "Hosts", project, "bin", configuration, "net10.0", program);
        Assert.True(File.Exists(path), $"{path} is built with the tests");
        return path;
    }

    public static string ProgramNamed(string program) => Program(program, Programs.Single(p => p.Program == program).Project);

    /// <summary>A host configuration that imports <paramref name="host"/> and adds <paramref name="definitions"/> (a separate
    /// module, as a person would write it in another file).</summary>
    public static string With(string host, string definitions) => $"{{ imports = [ ({host.Trim()}) ]; {definitions} }}";

    private string WriteConfiguration(string nix)
    {
        var file = Path.Combine(Root, $"host-{Guid.NewGuid():N}.nix");
        File.WriteAllText(file, nix);
        return file;
    }

    private List<string> Arguments(string entry, string configuration) =>
    [
        Path.Combine(NixpkgsLib.RepositoryRoot, "nix", "tests", entry),
        "--argstr", "nixpkgsLib", NixpkgsLib.Path,
        "--argstr", "packages", Packages,
        "--arg", "configuration", WriteConfiguration(configuration),
    ];

    /// <summary><c>nix-instantiate --eval --strict --json</c> of the evaluation entry; fails the test on an evaluation error.</summary>
    public JsonObject Evaluate(string entry, string configuration)
    {
        var (code, stdout, stderr) = Run("nix-instantiate", ["--eval", "--strict", "--json", .. Arguments(entry, configuration)]);
        Assert.True(code == 0, $"evaluation failed ({code}):\n{stderr}");
        return JsonNode.Parse(stdout)!.AsObject();
    }

    /// <summary>Evaluation that is expected to fail: its exit code and stderr.</summary>
    public (int Code, string Error) EvaluateFailing(string entry, string configuration)
    {
        var (code, _, stderr) = Run("nix-instantiate", ["--eval", "--strict", "--json", .. Arguments(entry, configuration)]);
        return (code, stderr);
    }

    /// <summary><c>nix-build -A attribute</c> offline (the runCommand checks run the real programs).</summary>
    public (int Code, string Output) Build(string entry, string configuration, string attribute)
    {
        var (code, stdout, stderr) = Run("nix-build",
            [.. Arguments(entry, configuration), "-A", attribute, "--no-out-link", "--option", "sandbox", "false", "--option", "substituters", ""]);
        return (code, stdout + stderr);
    }

    /// <summary>Writes the rendered units to a directory and runs <c>systemd-analyze verify</c> on them: every line it prints.</summary>
    public IReadOnlyList<string> Verify(JsonObject units)
    {
        var dir = Path.Combine(Root, "units-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        foreach (var (name, text) in units)
        {
            var file = Path.Combine(dir, name);
            File.WriteAllText(file, StripNewerKeys((string)text!));
            files.Add(file);
        }
        var (_, stdout, stderr) = Run("systemd-analyze", ["verify", "--man=no", .. files]);
        return [.. (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>systemd 254 added RestartSteps= and RestartMaxDelaySec= (the garden's restart backoff; NixOS ships a newer
    /// systemd). An older systemd-analyze on the test host would warn about exactly those two, so they are left out of
    /// what it verifies there; the tests assert them on the rendered text instead.</summary>
    public static string StripNewerKeys(string unit) => SystemdVersion >= 254
        ? unit
        : string.Join('\n', unit.Split('\n').Where(l => !l.StartsWith("RestartSteps=", StringComparison.Ordinal) && !l.StartsWith("RestartMaxDelaySec=", StringComparison.Ordinal)));

    public static int SystemdVersion { get; } = ReadSystemdVersion();

    private static int ReadSystemdVersion()
    {
        var (_, stdout, _) = Run("systemctl", ["--version"]);
        var words = stdout.Split([' ', '\n']);
        return words.Length > 1 && int.TryParse(words[1], out var v) ? v : 0;
    }

    public static (int Code, string Stdout, string Stderr) Run(string file, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
