using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sower.Actors.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;
using Sower.Actors.Garden;
using Sower.Garden;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

// sower-garden [--config FILE] [--exit-when-replaced LINK] | --check-config FILE
const string Usage = "usage: sower-garden [--config FILE] [--exit-when-replaced LINK]\n       sower-garden --check-config FILE";
string? explicitConfig = null;
string? checkConfig = null;
string? replacementLink = null;
for (var i = 0; i < args.Length; i++)
{
    if (OptionValue("--config", ref i) is { } configPath) explicitConfig = configPath;
    else if (OptionValue("--check-config", ref i) is { } check) checkConfig = check;
    else if (OptionValue("--exit-when-replaced", ref i) is { } link) replacementLink = link;
    else if (args[i] == "--version")
    {
        Console.WriteLine(GardenVersion.Current);
        return 0;
    }
    else if (args[i] is "--help" or "-h")
    {
        Console.WriteLine(Usage + "\n\nThe configuration file is located as described in the README (\"Running a garden\").");
        return 0;
    }
    else
    {
        Console.Error.WriteLine($"sower-garden: unknown argument {args[i]}\n{Usage}");
        return GardenExitCodes.Usage;
    }
}
if (checkConfig is not null)
{
    if (checkConfig.Length == 0 || explicitConfig is not null || replacementLink is not null)
    {
        Console.Error.WriteLine(Usage);
        return GardenExitCodes.Usage;
    }
    return GardenConfigCheck.Run(checkConfig, ConfigEnvironment.FromProcess(), Console.Out, Console.Error);
}
var replacement = string.IsNullOrEmpty(replacementLink) ? null : new PackageReplacement(replacementLink);

// Files under the state directory are 0600 and directories 0700 (REFERENCE §5.2), SQLite's included.
NativeUmask.Set(0x3F);

// Boot failures are logged through a console logger made only when needed: on the normal path it would keep its own
// queue thread alive for the life of the process.
static void LogBootFailure(string message)
{
    using var bootLoggers = LoggerFactory.Create(b => b.AddSowerLogging(LoggingLevels.Information));
    bootLoggers.CreateLogger("sower-garden").LogCritical("{Message}", message);
}
var environment = ConfigEnvironment.FromProcess();
var configFile = ClientConfigLocator.Locate(explicitConfig);

ConfigLoadResult Load()
{
    var first = GardenConfigLoader.Load(configFile, environment, hasStoredCredential: true);
    if (!first.Ok) return first;
    var hasCredential = false;
    try { hasCredential = new GardenStateStore(first.Config!.StateDirectory).Current.Credential is not null; }
    catch (InvalidDataException) { }
    return hasCredential ? first : GardenConfigLoader.Load(configFile, environment, hasStoredCredential: false);
}

var loaded = Load();
if (!loaded.Ok)
{
    LogBootFailure(GardenConfigLoader.FormatFailure(loaded.Problems));
    return 78; // EX_CONFIG: systemd is told not to restart in a loop
}
var config = loaded.Config!;
GardenStateStore store;
try
{
    GardenStateStore.EnsureDirectory(config.StateDirectory);
    store = new GardenStateStore(config.StateDirectory);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
{
    LogBootFailure(GardenConfigLoader.FormatFailure([new Sower.Messages.Domain.ValidationProblem("state_directory", e.Message)]));
    return 78;
}

// Before anything reads System.Configuration: Akka's app.config lookup answers "none" without parsing XML (NoAppConfig).
NoAppConfig.TryInstall();

// No host defaults: the garden is configured by its own file only, so no appsettings.json or DOTNET_ variables from
// the working directory, and no file watcher thread for them.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Services.AddSystemd();
builder.Logging.AddSowerLogging(config.Logging);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Timeouts.EffectiveDrain + TimeSpan.FromSeconds(30));
builder.Services.AddSingleton(config);
builder.Services.AddSingleton(new SdNotifier(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")));
var settings = new GardenHostSettings(config, new SignalRGardenGateway(), store, SystemClock.Instance, GardenVersion.Current, Load, ProcessIdentity.IsRoot,
    replacement is null ? null : replacement.Check);
builder.Services.AddAkka("sower-garden", (akka, _) =>
{
    akka.WithSowerLogging(config.Logging);
    akka.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off\nakka.actor.ask-timeout = 30s", HoconAddMode.Prepend);
    akka.WithGardenSerialization()
        .WithGardenPersistence(config.StateDirectory)
        .WithGardenJournalTimeouts(config.Timeouts.EffectiveJournalRecovery)
        .WithGardenMetrics(GardenMetricsSettings.For(config, store, SystemClock.Instance, GardenVersion.Current))
        .WithGardenHost(settings);
});
builder.Services.AddHostedService(sp => new GardenLifecycleService(
    sp.GetRequiredService<Akka.Actor.ActorSystem>(), sp.GetRequiredService<IRequiredActor<GardenHostKey>>(), sp.GetRequiredService<SdNotifier>(),
    sp.GetRequiredService<ILogger<GardenLifecycleService>>(), config.Timeouts.EffectiveDrain, sp.GetRequiredService<IHostApplicationLifetime>()));
builder.Services.AddHostedService<AdminSocketServer>();
builder.Services.AddHostedService<IdleMemoryTrimmer>();

var app = builder.Build();
if (replacement is not null) replacement.LogStart(app.Services.GetRequiredService<ILogger<PackageReplacement>>());
await app.RunAsync().ConfigureAwait(false);
return 0;

// `--name VALUE` (taking the next argument) or `--name=VALUE`; null when args[i] is not that option.
string? OptionValue(string name, ref int i)
{
    if (args[i] == name && i + 1 < args.Length) return args[++i];
    return args[i].StartsWith(name + "=", StringComparison.Ordinal) ? args[i][(name.Length + 1)..] : null;
}
