using System.Globalization;

namespace Sower.Activator;

/// <summary>
/// <c>sower-activator [--config FILE] [--allowed-gids &lt;gid,…&gt;] [--timeout &lt;s&gt;] [--socket PATH]</c> (REFERENCE §7.1).
/// Hand-parsed: four flags do not justify a parser library in a root process.
/// </summary>
public sealed record CommandLine(string? ConfigFile, IReadOnlySet<uint> AllowedGids, int? TimeoutSeconds, string? SocketPath, bool Help, string? CheckConfigFile = null)
{
    /// <summary><c>--fire-rollback ID</c>: what a rollback timer runs (no client).</summary>
    public string? FireRollback { get; init; }

    /// <summary><c>--resume-rollbacks</c>: run once at boot, restarts rollback timers (no client).</summary>
    public bool ResumeRollbacks { get; init; }

    public const string Usage =
        "usage: sower-activator [--config FILE] [--allowed-gids <gid,...>] [--timeout <seconds>] [--socket PATH]\n" +
        "       sower-activator --check-config FILE   (validate FILE as a start would; exit 0, or 78 with every problem)\n" +
        "       sower-activator [--config FILE] --resume-rollbacks   (at boot: restart rollback timers; boot-mode deadlines start now)\n" +
        "       sower-activator [--config FILE] --fire-rollback ID   (what a rollback timer runs)\n" +
        "  Performs one privileged Nix activation per request (REFERENCE §7). Modes:\n" +
        "  stdin is a socket (systemd Accept=yes) or LISTEN_FDS is set: socket mode, peers are authorized;\n" +
        "  --socket PATH: bind PATH (mode 0660) and serve connections one at a time;\n" +
        "  otherwise: pipe mode, one request on stdin, replies on stdout, with the caller's privileges.\n";

    /// <summary>Parses the arguments; throws <see cref="ActivatorSetupException"/> with a clear message on bad input.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        string? config = null, socket = null, check = null, fire = null;
        var resume = false;
        int? timeout = null;
        var gids = new HashSet<uint>();
        var help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count) throw new ActivatorSetupException($"missing value for {arg}");
                return args[++i];
            }
            switch (arg)
            {
                case "--config": config = Value(); break;
                case "--socket": socket = Value(); break;
                case "--check-config": check = Value(); break;
                case "--allowed-gids": gids.UnionWith(ParseGids(Value())); break;
                case "--timeout": timeout = ParseTimeout(Value()); break;
                case "--fire-rollback": fire = Value(); break;
                case "--resume-rollbacks": resume = true; break;
                case "--help" or "-h": help = true; break;
                default: throw new ActivatorSetupException($"unknown argument: {arg}");
            }
        }
        if (config is { Length: 0 }) throw new ActivatorSetupException("--config needs a file name");
        if (socket is { Length: 0 }) throw new ActivatorSetupException("--socket needs a path");
        if (check is { Length: 0 }) throw new ActivatorSetupException("--check-config needs a file name");
        if (fire is { Length: 0 }) throw new ActivatorSetupException("--fire-rollback needs a deadline id");
        return new CommandLine(config, gids, timeout, socket, help, check) { FireRollback = fire, ResumeRollbacks = resume };
    }

    /// <summary>A comma-separated list of numeric GIDs; whitespace is tolerated, a bad entry fails with <c>invalid GID: &lt;x&gt;</c>.</summary>
    public static IReadOnlySet<uint> ParseGids(string list)
    {
        var gids = new HashSet<uint>();
        foreach (var raw in list.Split(','))
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            if (!uint.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var gid) || gid == uint.MaxValue)
            {
                throw new ActivatorSetupException($"invalid GID: {entry}");
            }
            gids.Add(gid);
        }
        return gids;
    }

    private static int ParseTimeout(string value)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
        {
            throw new ActivatorSetupException($"invalid timeout: {value} (a whole number of seconds > 0)");
        }
        return seconds;
    }
}

/// <summary>A problem with the command line or the configuration: reported as is, never with a stack trace.
/// <see cref="Problems"/> lists each problem when there are several (the message joins them).</summary>
public sealed class ActivatorSetupException(string message, IReadOnlyList<string>? problems = null) : Exception(message)
{
    public IReadOnlyList<string> Problems { get; } = problems ?? [message];
}
