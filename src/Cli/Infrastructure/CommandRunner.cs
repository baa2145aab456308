using System.CommandLine;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>Runs a command body and turns every expected failure into one "error: …" line and its exit code.</summary>
public static class CommandRunner
{
    public static void SetAsyncAction(this Command command, CliIo io, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction((result, cancellation) => Run(io, () => body(result, cancellation)));

    public static async Task<int> Run(CliIo io, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliFailure f)
        {
            io.Error($"error: {f.Message}");
            return f.ExitCode;
        }
        catch (InvalidInputException e)
        {
            foreach (var message in e.Messages) io.Error($"error: {message}");
            return ExitCodes.InvalidInput;
        }
        catch (OperationCanceledException)
        {
            io.Error("error: interrupted");
            return 130;
        }
    }

    /// <summary>Parses a duration: 90 (seconds), 30s, 5m, 2h, 1d.</summary>
    public static TimeSpan ParseDuration(string text, string option)
    {
        var t = text.Trim();
        var unit = t.Length > 0 && char.IsLetter(t[^1]) ? t[^1] : 's';
        var number = char.IsLetter(t.Length > 0 ? t[^1] : '0') ? t[..^1] : t;
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new CliFailure(ExitCodes.Usage, $"invalid {option} \"{text}\": expected a duration such as 90, 30s, 10m or 2h");
        }
        return unit switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => throw new CliFailure(ExitCodes.Usage, $"invalid {option} \"{text}\": expected a duration such as 90, 30s, 10m or 2h"),
        };
    }
}
