namespace Sower.Server.Configuration;

/// <summary><c>sower-server --check-config FILE</c>: validates a settings file with the loader a start uses and exits 0,
/// or 78 with every problem on stderr. The NixOS module runs it at build time on the rendered settings.</summary>
public static class ServerConfigCheck
{
    public const string Flag = "--check-config";
    public const int UsageExitCode = 64;

    public static bool IsRequested(string[] args) =>
        args.Length > 0 && (args[0] == Flag || args[0].StartsWith(Flag + "=", StringComparison.Ordinal));

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var inline = args[0].StartsWith(Flag + "=", StringComparison.Ordinal);
        var file = inline ? args[0][(Flag.Length + 1)..] : args.Length > 1 ? args[1] : null;
        if (string.IsNullOrEmpty(file) || args.Length != (inline ? 1 : 2))
        {
            error.WriteLine($"usage: sower-server {Flag} FILE");
            return UsageExitCode;
        }
        var result = ServerOptionsLoader.Check(file);
        if (!result.IsValid)
        {
            result.WriteProblems(error);
            return ServerOptionsResult.ExitCode;
        }
        output.WriteLine($"{result.Options!.ConfigFile}: valid (secret files named by *_file keys are read at start, not here)");
        return 0;
    }
}
