using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>
/// The push step of <c>sower build</c> (REFERENCE §8): <c>attic://SERVER:CACHE</c> through <c>attic push</c> (paths on
/// stdin), <c>niks3://HOST/PATH</c> through <c>niks3 push</c> (<c>NIKS3_SERVER_URL</c> = https://HOST/PATH unless already
/// set; <c>NIKS3_AUTH_TOKEN_FILE</c> from the environment), anything else through <c>nix copy --to URL</c> (signing is the
/// URL's business, e.g. <c>file:///srv/cache?secret-key=/run/keys/cache.sk</c>).
/// </summary>
public static class CachePusher
{
    private static readonly TimeSpan Limit = TimeSpan.FromHours(6);

    /// <summary>The external program a cache URL needs.</summary>
    public static string Program(string cache) =>
        cache.StartsWith("attic://", StringComparison.Ordinal) ? "attic"
        : cache.StartsWith("niks3://", StringComparison.Ordinal) ? "niks3"
        : "nix";

    /// <summary>A usage problem with a cache URL (null when fine): checked before anything is built.</summary>
    public static string? Check(string cache)
    {
        if (string.IsNullOrWhiteSpace(cache)) return "--cache must not be empty";
        if (cache.StartsWith("attic://", StringComparison.Ordinal) && !cache["attic://".Length..].Contains(':', StringComparison.Ordinal))
        {
            return $"invalid cache {cache}: expected attic://SERVER:CACHE (the server as named in attic's config, and the cache)";
        }
        if (cache.StartsWith("niks3://", StringComparison.Ordinal) && cache.Length == "niks3://".Length)
        {
            return $"invalid cache {cache}: expected niks3://HOST[/PATH]";
        }
        var program = Program(cache);
        if (program != "nix" && FindOnPath(program) is null)
        {
            return $"{program} is not installed or not on PATH: pushing to {cache} needs the {program} client" +
                   (program == "attic" ? " (attic-client)" : "");
        }
        return null;
    }

    /// <summary>Pushes the paths; null on success, else Nix's (or the client's) message.</summary>
    public static async Task<string?> Push(string cache, IReadOnlyList<string> paths, CancellationToken cancellation)
    {
        ProcessOutput? run;
        var program = Program(cache);
        switch (program)
        {
            case "attic":
                run = await ProcessRunner.RunAsync("attic", ["push", cache["attic://".Length..], "--stdin"], Limit, cancellation,
                    stdin: string.Join('\n', paths) + "\n");
                break;
            case "niks3":
                var env = new Dictionary<string, string?>();
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NIKS3_SERVER_URL"))) env["NIKS3_SERVER_URL"] = "https://" + cache["niks3://".Length..];
                run = await ProcessRunner.RunAsync("niks3", ["push", .. paths], Limit, cancellation, environment: env);
                break;
            default:
                run = await ProcessRunner.RunAsync("nix", ["--extra-experimental-features", "nix-command", "copy", "--to", cache, .. paths], Limit, cancellation);
                break;
        }
        if (run is null) return $"{program} is not installed or not on PATH";
        return run.ExitCode == 0 ? null : NixJobEvaluator.NixMessage(run.Stderr, run.ExitCode);
    }

    public static string? FindOnPath(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal)) return File.Exists(program) ? program : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
