namespace Sower.Cli.Commands;

/// <summary>
/// The streams and environment a command may use; the real console in production, string writers in tests.
/// Colour and progress are for people only: colour when stdout is a terminal and NO_COLOR is unset, progress when
/// stderr is a terminal.
/// </summary>
public sealed class CliIo(TextWriter output, TextWriter error, TextReader input, bool outputIsTerminal = false, bool errorIsTerminal = false,
    Func<string, string?>? environment = null)
{
    public static CliIo Console { get; } = new(System.Console.Out, System.Console.Error, System.Console.In,
        !System.Console.IsOutputRedirected, !System.Console.IsErrorRedirected);

    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public TextReader In { get; } = input;

    public Func<string, string?> Env { get; } = environment ?? Environment.GetEnvironmentVariable;

    public bool OutputIsTerminal { get; } = outputIsTerminal;

    public bool ErrorIsTerminal { get; } = errorIsTerminal;

    public bool Color => OutputIsTerminal && string.IsNullOrEmpty(Env("NO_COLOR")) && Env("TERM") != "dumb";

    public bool ErrorColor => ErrorIsTerminal && string.IsNullOrEmpty(Env("NO_COLOR")) && Env("TERM") != "dumb";

    public void Error(string line) => Err.WriteLine(line);
}

/// <summary>Exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;
    public const int Usage = InvalidInput;
    public const int NotFound = 3;
    public const int DeniedByPolicy = 4;
    public const int Unreachable = 5;
}

/// <summary>Invalid input found while running a command: reported as "error: ..." lines and exit code 2.</summary>
public sealed class InvalidInputException(IReadOnlyList<string> messages) : Exception(string.Join(Environment.NewLine, messages))
{
    public InvalidInputException(string message) : this([message])
    {
    }

    public IReadOnlyList<string> Messages { get; } = messages;
}

/// <summary>A command that cannot go on: one sentence for stderr (without the "error: " prefix) and its exit code.</summary>
public sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
