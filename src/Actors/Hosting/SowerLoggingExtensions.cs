using Akka.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Sower.Messages.Domain;

namespace Sower.Actors.Hosting;

/// <summary>The one logging set-up of the server and the garden: one line per event on stdout, in journald's format
/// (<c>&lt;6&gt;Category[0] message</c>, the priority read by journald) when systemd runs the process and as
/// <c>2026-12-05T13:44:06.021Z info: Category[0] message</c> otherwise; the level per area from the configuration file;
/// Akka's events under their own class (<see cref="LoggerFactoryBridgeActor"/>).</summary>
public static class SowerLoggingExtensions
{
    /// <summary>Whether stdout goes to the journal: systemd sets <c>JOURNAL_STREAM</c> when it connects a unit's output to
    /// journald, and <c>INVOCATION_ID</c> for every unit it starts (whose output goes to the journal unless the unit says
    /// otherwise).</summary>
    public static bool WritesToJournal(Func<string, string?> environment) =>
        !string.IsNullOrEmpty(environment("JOURNAL_STREAM")) || !string.IsNullOrEmpty(environment("INVOCATION_ID"));

    /// <summary>Replaces the providers with the console, in journald's format under systemd
    /// (<paramref name="environment"/>, the process environment by default), and applies <paramref name="levels"/>.
    /// <paramref name="quieter"/> are the host's own defaults for chatty areas; an area the file names wins.</summary>
    public static ILoggingBuilder AddSowerLogging(this ILoggingBuilder logging, LoggingLevels levels,
        Func<string, string?>? environment = null, IReadOnlyDictionary<string, LogLevel>? quieter = null)
    {
        logging.ClearProviders();
        if (WritesToJournal(environment ?? Environment.GetEnvironmentVariable))
        {
            // journald stamps every line itself.
            logging.AddConsole(o => o.FormatterName = ConsoleFormatterNames.Systemd);
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        logging.SetMinimumLevel(Parse(levels.Default));
        foreach (var (area, level) in quieter ?? new Dictionary<string, LogLevel>())
        {
            if (!levels.Areas.ContainsKey(area)) logging.AddFilter(area, level);
        }
        foreach (var (area, level) in levels.Areas) logging.AddFilter(area, Parse(level));
        return logging;
    }

    /// <summary>Akka's events go to the host's logging (or <paramref name="loggerFactory"/>) through
    /// <see cref="LoggerFactoryBridgeActor"/> and only through it; Akka itself lets through what the most talkative area
    /// asks for, the per-area filters do the rest.</summary>
    public static AkkaConfigurationBuilder WithSowerLogging(this AkkaConfigurationBuilder akka, LoggingLevels levels, ILoggerFactory? loggerFactory = null)
    {
        if (loggerFactory is not null) akka.AddSetup(new LoggerFactoryBridgeSetup(loggerFactory));
        // Before the bridge starts and after it stops (the last steps of a shutdown) Akka prints to stdout itself, with
        // its own header: only what needs attention then.
        akka.AddHocon("akka.stdout-loglevel = WARNING", HoconAddMode.Prepend);
        return akka.ConfigureLoggers(loggers =>
        {
            loggers.LogLevel = AkkaLevel(levels.Lowest);
            loggers.ClearLoggers();
            loggers.AddLogger<LoggerFactoryBridgeActor>();
        });
    }

    /// <summary>A level name of <see cref="LoggingLevels"/> as Microsoft.Extensions.Logging's level.</summary>
    public static LogLevel Parse(string level) =>
        Enum.TryParse<LogLevel>(LoggingLevels.Canonical(level), ignoreCase: false, out var parsed) ? parsed : LogLevel.Information;

    /// <summary>Akka's level for a level name (Akka has no trace, and nothing above error).</summary>
    public static Akka.Event.LogLevel AkkaLevel(string level) => Parse(level) switch
    {
        LogLevel.Trace or LogLevel.Debug => Akka.Event.LogLevel.DebugLevel,
        LogLevel.Information => Akka.Event.LogLevel.InfoLevel,
        LogLevel.Warning => Akka.Event.LogLevel.WarningLevel,
        _ => Akka.Event.LogLevel.ErrorLevel,
    };
}
