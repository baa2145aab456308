using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sower.Actors.Garden;

namespace Sower.Garden;

/// <summary>
/// systemd integration and signals: READY=1 once the actor system and the garden actor are up, WATCHDOG=1 at half of
/// WATCHDOG_USEC, STATUS= lines from the garden, SIGHUP → reload (logged as <c>Received SIGHUP</c>), and on stop
/// STOPPING=1 and a drain: no new work, running activations get time to finish. When the garden reports that a switch
/// replaced its package (<c>--exit-when-replaced</c>), the application stops cleanly so the service manager starts the new one.
/// </summary>
public sealed class GardenLifecycleService(
    ActorSystem system,
    IRequiredActor<GardenHostKey> host,
    SdNotifier notifier,
    ILogger<GardenLifecycleService> logger,
    TimeSpan drainTimeout,
    IHostApplicationLifetime lifetime) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private PosixSignalRegistration? _hangup;
    private IActorRef? _statusForwarder;
    private Task? _watchdog;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var garden = await host.GetAsync(cancellationToken).ConfigureAwait(false);
        _statusForwarder = system.ActorOf(Props.Create(() => new StatusForwarder(notifier)), "systemd-status");
        system.EventStream.Subscribe(_statusForwarder, typeof(GardenDaemonEvents.StatusChanged));
        // A switch replaced the package and nothing is deploying: stop cleanly (exit 0); Restart=always starts the new one.
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new ReplacementForwarder(lifetime)), "package-replaced"), typeof(GardenDaemonEvents.PackageReplaced));
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            logger.LogInformation("Received SIGHUP");
            garden.Tell(new GardenDaemonCommands.RequestReload("SIGHUP"));
        });
        notifier.Notify("READY=1\nSTATUS=connecting");
        if (SdNotifier.WatchdogInterval(Environment.GetEnvironmentVariable, Environment.ProcessId) is { } interval)
        {
            _watchdog = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                notifier.Notify("WATCHDOG=1");
                while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false)) notifier.Notify("WATCHDOG=1");
            }, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        logger.LogInformation("sower-garden {Version} started", GardenVersion.Current);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Notify("STOPPING=1\nSTATUS=stopping");
        _hangup?.Dispose();
        try
        {
            var garden = await host.GetAsync(cancellationToken).ConfigureAwait(false);
            var drained = await garden.Ask<GardenDaemonCommands.Drained>(new GardenDaemonCommands.Drain(), drainTimeout, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Drained: no deployment running");
            _ = drained;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or OperationCanceledException)
        {
            logger.LogWarning("Stopping with deployments still running; each is resumed from its journal at the next start, where an interrupted activation is read back from its profile, never repeated");
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_watchdog is not null) await _watchdog.ConfigureAwait(false);
    }

    private sealed class ReplacementForwarder : ReceiveActor
    {
        public ReplacementForwarder(IHostApplicationLifetime lifetime) =>
            Receive<GardenDaemonEvents.PackageReplaced>(_ => lifetime.StopApplication());
    }

    private sealed class StatusForwarder : ReceiveActor
    {
        public StatusForwarder(SdNotifier notifier) =>
            Receive<GardenDaemonEvents.StatusChanged>(s => notifier.Notify("STATUS=" + s.Text.Replace('\n', ' ')));
    }
}
