namespace Sower.Cli.Commands;

/// <summary>The streams a command may use; the real console in production, string writers in tests.</summary>
public sealed class CliIo(TextWriter output, TextWriter error, TextReader input)
{
    public static CliIo Console { get; } = new(System.Console.Out, System.Console.Error, System.Console.In);

    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public TextReader In { get; } = input;

    public void Error(string line) => Err.WriteLine(line);
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;
}

/// <summary>Invalid input found while running a command: reported as "error: ..." lines and exit code 2.</summary>
public sealed class InvalidInputException(IReadOnlyList<string> messages) : Exception(string.Join(Environment.NewLine, messages))
{
    public InvalidInputException(string message) : this([message])
    {
    }

    public IReadOnlyList<string> Messages { get; } = messages;
}
