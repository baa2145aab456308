using System.Collections;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.DependencyInjection;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Sower.Actors.Hosting;

/// <summary>Carries an <see cref="ILoggerFactory"/> other than the host's to <see cref="LoggerFactoryBridgeActor"/>.</summary>
public sealed class LoggerFactoryBridgeSetup(ILoggerFactory loggerFactory) : Setup
{
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
}

/// <summary>Akka's logger that hands every log event to Microsoft.Extensions.Logging as the event's own: the category is
/// the class that logged (an actor's class for <c>Context.GetLogger()</c>, so per-area levels filter by namespace or
/// class), the message is the event's text without Akka's <c>[INFO][time][thread][path]</c> header, and a named template's
/// fields (<c>{GardenId}</c>) reach structured sinks as fields. Akka.Hosting's own bridge logs everything under
/// <c>Akka.Actor.ActorSystem</c> with that header.</summary>
public sealed class LoggerFactoryBridgeActor : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<Type, string> _categories = [];
    private readonly Dictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public LoggerFactoryBridgeActor()
    {
        // A factory given explicitly, else the host's (Akka.Hosting hands the actor system the host's services).
        var setup = Context.System.Settings.Setup.Get<LoggerFactoryBridgeSetup>();
        _factory = setup.HasValue ? setup.Value.LoggerFactory
            : DependencyResolver.For(Context.System).Resolver.GetService<ILoggerFactory>()
              ?? throw new InvalidOperationException($"{nameof(LoggerFactoryBridgeActor)} needs the host's ILoggerFactory or a {nameof(LoggerFactoryBridgeSetup)}");
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent e:
                var logger = Logger(e);
                var level = Level(e);
                if (logger.IsEnabled(level)) logger.Log(level, default, new AkkaLogEntry(e), e.Cause, static (entry, _) => entry.ToString());
                return true;
            default:
                return false;
        }
    }

    private ILogger Logger(LogEvent e)
    {
        if (!_categories.TryGetValue(e.LogClass, out var category))
        {
            category = Category(e.LogClass, e.LogSource);
            // A string source's category is the string itself, not its (shared) class.
            if (e.LogClass != typeof(DummyClassForStringSources)) _categories[e.LogClass] = category;
        }
        if (!_loggers.TryGetValue(category, out var logger)) _loggers[category] = logger = _factory.CreateLogger(category);
        return logger;
    }

    /// <summary>The logging category of an event: its class as Microsoft.Extensions.Logging names a type
    /// (<c>Outer.Inner</c>, no generic arity); for a logger made from a string (Akka's own modules:
    /// <c>Cluster (akka://sower)</c>), that name under <c>Akka.</c> (<c>Akka.Cluster</c>).</summary>
    public static string Category(Type logClass, string logSource)
    {
        if (logClass == typeof(DummyClassForStringSources))
        {
            var address = logSource.IndexOf(" (akka", StringComparison.Ordinal);
            var module = (address > 0 ? logSource[..address] : logSource).Trim();
            if (module.Length == 0) return "Akka";
            return module.Contains('.', StringComparison.Ordinal) ? module : "Akka." + module;
        }
        var name = logClass.FullName ?? logClass.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        return name.Replace('+', '.');
    }

    private static MelLogLevel Level(LogEvent e) => e.LogLevel() switch
    {
        Akka.Event.LogLevel.DebugLevel => MelLogLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => MelLogLevel.Information,
        Akka.Event.LogLevel.WarningLevel => MelLogLevel.Warning,
        _ => MelLogLevel.Error,
    };

    /// <summary>A log event as Microsoft.Extensions.Logging state: the template's fields, <c>{OriginalFormat}</c> (the
    /// template, as <c>LoggerMessage</c> states carry it) and the actor's path; its text is the formatted message.</summary>
    private sealed class AkkaLogEntry : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly LogEvent _event;
        private List<KeyValuePair<string, object?>>? _fields;

        public AkkaLogEntry(LogEvent e) => _event = e;

        private List<KeyValuePair<string, object?>> Fields => _fields ??= BuildFields();

        private List<KeyValuePair<string, object?>> BuildFields()
        {
            var fields = new List<KeyValuePair<string, object?>>();
            if (_event.TryGetProperties(out var properties) && properties is not null)
            {
                foreach (var (name, value) in properties) fields.Add(new(name, value));
            }
            fields.Add(new("ActorPath", _event.LogSource));
            fields.Add(new("{OriginalFormat}", _event.GetTemplate()));
            return fields;
        }

        public KeyValuePair<string, object?> this[int index] => Fields[index];
        public int Count => Fields.Count;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Fields.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString()
        {
            try { return _event.Message?.ToString() ?? ""; }
            catch (FormatException e) { return $"{_event.GetTemplate()} (the log template does not match its arguments: {e.Message})"; }
        }
    }
}
