namespace Sower.Nix.Tests;

/// <summary>Where the tests find the repository and the real nixpkgs <c>lib</c> (vendored beside the checkout as
/// <c>../shared/vendor/nixpkgs-lib</c>, or named by <c>SOWER_NIXPKGS_LIB</c>); no nixpkgs channel is reachable here.</summary>
public static class NixpkgsLib
{
    public const string Variable = "SOWER_NIXPKGS_LIB";

    /// <summary>The repository root: the folder above <c>tests/</c> that holds <c>Sower.sln</c>.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The folder that holds nixpkgs' <c>lib/default.nix</c>'s parent (pass <c>import (Path + "/lib")</c>).</summary>
    public static string Path => Locate() ?? throw new InvalidOperationException(
        $"the nixpkgs lib was not found: set {Variable} to a nixpkgs-lib checkout (the folder with lib/default.nix), " +
        $"or keep the team's shared/ folder beside the repository ({System.IO.Path.Combine(RepositoryRoot, "..", "shared", "vendor", "nixpkgs-lib")})");

    public static string? Locate()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable(Variable),
            System.IO.Path.Combine(RepositoryRoot, "..", "shared", "vendor", "nixpkgs-lib"),
        };
        return candidates
            .Where(c => !string.IsNullOrEmpty(c) && File.Exists(System.IO.Path.Combine(c!, "lib", "default.nix")))
            .Select(c => System.IO.Path.GetFullPath(c!))
            .FirstOrDefault();
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Sower.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Sower.sln was not found above " + AppContext.BaseDirectory);
    }
}
