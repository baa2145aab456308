using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace Sower.Server.Health;

/// <summary>Sends <c>WATCHDOG=1</c> at half the interval systemd asks for (<c>WATCHDOG_USEC</c>), while the process
/// is alive. Readiness (<c>READY=1</c>) comes from <c>AddSystemd()</c> once the host has started.</summary>
public sealed class SystemdWatchdogService(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // AddSystemd() registers the notifier only when the process runs as a systemd service.
        if (services.GetService<ISystemdNotifier>() is not { IsEnabled: true } notifier) return;
        var raw = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(usec / 2.0));
        try
        {
            do
            {
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
