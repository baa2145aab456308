using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Sower.Actors.Hosting;
using Sower.Messages.Domain;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Sower.Actors.Tests.Logging;

/// <summary>The shared logging set-up of both hosts (<see cref="SowerLoggingExtensions"/>), in a real host with a real
/// actor system: an actor's line is filed under its class with its own text and fields, per-area levels filter, and
/// the console speaks journald's format exactly when systemd runs the process.</summary>
public sealed class LoggingSetupTests
{
    [Fact]
    public async Task An_actors_log_line_is_filed_under_its_class_with_its_text_and_named_fields_and_no_akka_header()
    {
        var capture = new CapturingLoggerProvider();
        using var host = await StartHost(LoggingLevels.Information, capture);
        var actor = host.Services.GetRequiredService<ActorSystem>().ActorOf(Props.Create<DeploymentLoggingActor>());
        actor.Tell("go");

        var entry = await capture.WaitFor(e => e.Message.Contains("dpl_1", StringComparison.Ordinal));
        Assert.Equal("Sower.Actors.Tests.Logging.DeploymentLoggingActor", entry.Category);
        Assert.Equal(MelLogLevel.Information, entry.Level);
        Assert.Equal("deployment dpl_1 of garden grdn_7 started", entry.Message);
        Assert.Equal("dpl_1", entry.Fields["DeploymentId"]);
        Assert.Equal("grdn_7", entry.Fields["GardenId"]);
        Assert.Equal("deployment {DeploymentId} of garden {GardenId} started", entry.Fields["{OriginalFormat}"]);
        Assert.DoesNotContain(capture.Entries, e => e.Message.Contains("[INFO]", StringComparison.Ordinal) || e.Category == "Akka.Actor.ActorSystem");
    }

    [Fact]
    public async Task A_level_set_for_an_area_lets_its_debug_lines_through_while_other_areas_keep_the_default()
    {
        var capture = new CapturingLoggerProvider();
        var levels = new LoggingLevels("Warning", LoggingLevels.Information.Areas.Add("Sower.Actors.Tests.Logging.DeploymentLoggingActor", "Debug"));
        using var host = await StartHost(levels, capture);
        var system = host.Services.GetRequiredService<ActorSystem>();
        system.ActorOf(Props.Create<QuietAreaActor>()).Tell("go");
        system.ActorOf(Props.Create<DeploymentLoggingActor>()).Tell("go");

        await capture.WaitFor(e => e.Message.Contains("debug detail", StringComparison.Ordinal));
        await capture.WaitFor(e => e.Message.Contains("quiet area warns", StringComparison.Ordinal));
        // The quiet actor's info line was logged before its warning; by now it would have arrived.
        Assert.DoesNotContain(capture.Entries, e => e.Message.Contains("quiet area informs", StringComparison.Ordinal));
        Assert.Contains(capture.Entries, e => e.Category.EndsWith("DeploymentLoggingActor", StringComparison.Ordinal) && e.Level == MelLogLevel.Debug);
    }

    [Fact]
    public void The_console_writes_journald_lines_when_systemd_runs_the_process_and_readable_lines_otherwise()
    {
        string Formatter(Dictionary<string, string> env)
        {
            var services = new ServiceCollection();
            services.AddLogging(b => b.AddSowerLogging(LoggingLevels.Information, name => env.GetValueOrDefault(name)));
            using var provider = services.BuildServiceProvider();
            return provider.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName!;
        }

        Assert.Equal(ConsoleFormatterNames.Systemd, Formatter(new() { ["JOURNAL_STREAM"] = "8:12345" }));
        Assert.Equal(ConsoleFormatterNames.Systemd, Formatter(new() { ["INVOCATION_ID"] = "0123456789abcdef" }));
        Assert.Equal(ConsoleFormatterNames.Simple, Formatter(new()));
        Assert.Equal(ConsoleFormatterNames.Simple, Formatter(new() { ["JOURNAL_STREAM"] = "" }));
    }

    [Fact]
    public void Akkas_own_modules_log_under_akka_and_their_name_and_nested_or_generic_classes_as_logging_names_them()
    {
        Assert.Equal("Akka.Cluster", LoggerFactoryBridgeActor.Category(typeof(DummyClassForStringSources), "Cluster (akka://sower)"));
        Assert.Equal("Akka.remoting-terminator", LoggerFactoryBridgeActor.Category(typeof(DummyClassForStringSources), "remoting-terminator"));
        Assert.Equal("Sower.Actors.Tests.Logging.LoggingSetupTests.Nested", LoggerFactoryBridgeActor.Category(typeof(Nested), "akka://x/user/a"));
        Assert.Equal("System.Collections.Generic.List", LoggerFactoryBridgeActor.Category(typeof(List<int>), "akka://x/user/a"));
    }

    private sealed class Nested;

    [Fact]
    public void Akka_lets_through_what_the_most_talkative_area_asks_for()
    {
        var levels = new LoggingLevels("Warning", LoggingLevels.Information.Areas.Add("Akka.Cluster", "Debug"));
        Assert.Equal("Debug", levels.Lowest);
        Assert.Equal(Akka.Event.LogLevel.DebugLevel, SowerLoggingExtensions.AkkaLevel(levels.Lowest));
        Assert.Equal(Akka.Event.LogLevel.WarningLevel, SowerLoggingExtensions.AkkaLevel(LoggingLevels.Information.WithDefault("Warning").Lowest));
    }

    private static async Task<IHost> StartHost(LoggingLevels levels, CapturingLoggerProvider capture)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSowerLogging(levels, _ => null);
        builder.Logging.AddProvider(capture);
        builder.Services.AddAkka("logging-test", (akka, _) => akka.WithSowerLogging(levels));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

public sealed class DeploymentLoggingActor : ReceiveActor
{
    public DeploymentLoggingActor()
    {
        var log = Context.GetLogger();
        Receive<string>(_ =>
        {
            log.Debug("debug detail of {DeploymentId}", "dpl_1");
            log.Info("deployment {DeploymentId} of garden {GardenId} started", "dpl_1", "grdn_7");
        });
    }
}

public sealed class QuietAreaActor : ReceiveActor
{
    public QuietAreaActor()
    {
        var log = Context.GetLogger();
        Receive<string>(_ =>
        {
            log.Info("quiet area informs");
            log.Warning("quiet area warns");
        });
    }
}

/// <summary>Keeps every entry the host's logging lets through, with its fields.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public sealed record Entry(string Category, MelLogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

    public async Task<Entry> WaitFor(Func<Entry, bool> match)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (Entries.FirstOrDefault(match) is { } hit) return hit;
            await Task.Delay(20);
        }
        throw new TimeoutException("no such log entry; got:\n" + string.Join('\n', Entries.Select(e => $"{e.Category} {e.Level} {e.Message}")));
    }

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(MelLogLevel logLevel) => true;

        public void Log<TState>(MelLogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
                : new Dictionary<string, object?>();
            entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), fields));
        }
    }
}
