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
    private readonly CancellationTokenSource stopping = new();
    private PosixSignalRegistration? hangup;
    private IActorRef? statusForwarder;
    private Task? watchdog;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var garden = await host.GetAsync(cancellationToken).ConfigureAwait(false);
        statusForwarder = system.ActorOf(Props.Create(() => new StatusForwarder(notifier)), "systemd-status");
        system.EventStream.Subscribe(statusForwarder, typeof(GardenDaemonEvents.StatusChanged));
        // A switch replaced the package and nothing is deploying: stop cleanly (exit 0); Restart=always starts the new one.
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new ReplacementForwarder(lifetime)), "package-replaced"), typeof(GardenDaemonEvents.PackageReplaced));
        hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            logger.LogInformation("Received SIGHUP");
            garden.Tell(new GardenDaemonCommands.RequestReload("SIGHUP"));
        });
        notifier.Notify("READY=1\nSTATUS=connecting");
        if (SdNotifier.WatchdogInterval(Environment.GetEnvironmentVariable, Environment.ProcessId) is { } interval)
        {
            watchdog = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                notifier.Notify("WATCHDOG=1");
                while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false)) notifier.Notify("WATCHDOG=1");
            }, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        logger.LogInformation("sower-garden {Version} started", GardenVersion.Current);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Notify("STOPPING=1\nSTATUS=stopping");
        hangup?.Dispose();
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
        await stopping.CancelAsync().ConfigureAwait(false);
        if (watchdog is not null) await watchdog.ConfigureAwait(false);
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
