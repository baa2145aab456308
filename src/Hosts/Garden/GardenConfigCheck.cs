using Sower.Messages.GardenDaemon;

namespace Sower.Garden;

/// <summary>
/// <c>sower-garden --check-config FILE</c>: FILE through the loader a start uses; exit 0, or 78 (EX_CONFIG) with every
/// problem on stderr. The NixOS and Home-Manager modules run it at build time on the rendered <c>client.json</c>, so it
/// checks the file as written: <c>SOWER_ENDPOINT</c>/<c>SOWER_ACCESS_TOKEN(_FILE)</c> are not applied, <c>*_file</c> secrets
/// are not read, and a stored garden credential is assumed (the enrollment token usually comes from systemd).
/// </summary>
public static class GardenConfigCheck
{
    public const string Flag = "--check-config";
    private static readonly string[] Overrides = ["SOWER_ENDPOINT", "SOWER_ACCESS_TOKEN", "SOWER_ACCESS_TOKEN_FILE"];

    public static int Run(string file, ConfigEnvironment environment, TextWriter output, TextWriter error)
    {
        if (!File.Exists(file))
        {
            error.WriteLine($"{GardenConfigLoader.FailurePrefix}: {file}: file not found");
            return GardenExitCodes.ConfigInvalid;
        }
        var fileOnly = environment with { Variable = name => Overrides.Contains(name, StringComparer.Ordinal) ? null : environment.Variable(name) };
        var result = GardenConfigLoader.Load(file, fileOnly, hasStoredCredential: true, readSecretFiles: false);
        if (!result.Ok)
        {
            foreach (var problem in result.Problems) error.WriteLine($"{GardenConfigLoader.FailurePrefix}: {problem}");
            return GardenExitCodes.ConfigInvalid;
        }
        output.WriteLine($"{file}: valid (secret files named by *_file keys are read at start, not here)");
        return 0;
    }
}

public static class GardenExitCodes
{
    /// <summary>EX_CONFIG: systemd is told not to restart in a loop (RestartPreventExitStatus=78).</summary>
    public const int ConfigInvalid = 78;
    public const int Usage = 64;
}
