using System.Diagnostics;
using System.Text.Json;

namespace Sower.Nix.Tests;

/// <summary>flake.nix's outputs, evaluated offline by the real Nix with the real nixpkgs lib and a stand-in package set
/// that records what the flake asks of it (nix/tests/flake-outputs.nix): evaluated once for all tests.</summary>
public static class FlakeOutputs
{
    private static readonly Lazy<JsonElement> Evaluated = new(Evaluate);

    public static JsonElement Json => Evaluated.Value;

    private static JsonElement Evaluate()
    {
        var start = new ProcessStartInfo("nix-instantiate")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--eval", "--strict", "--json", Path.Combine(NixpkgsLib.RepositoryRoot, "nix", "tests", "flake-outputs.nix"),
                     "--arg", "lib", $"import {NixpkgsLib.Path}/lib" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000)) throw new TimeoutException("nix-instantiate did not evaluate the flake within 120 s");
        if (process.ExitCode != 0) throw new InvalidOperationException("flake.nix did not evaluate:\n" + stderr.Result);
        using var document = JsonDocument.Parse(stdout.Result);
        return document.RootElement.Clone();
    }

    public static JsonElement At(params string[] path) =>
        path.Aggregate(Json, (element, name) => element.GetProperty(name));

    public static string[] Strings(this JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static string[] Names(this JsonElement obj) => obj.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
}
