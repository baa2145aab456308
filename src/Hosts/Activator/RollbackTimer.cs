using System.Globalization;
using System.Reflection;

namespace Sower.Activator;

/// <summary>
/// Starts what fires a deadline without this process: <c>sower-activator --fire-rollback ID</c>, either as a transient
/// systemd timer (<c>systemd-run --on-active=…</c>, when systemd is PID 1) or as a detached process in its own session
/// (<c>setsid -f</c>) that sleeps until the deadline. Either way the fire process re-reads the deadline under the store's
/// lock and does nothing unless it is still armed and due, so a confirmed deadline's timer is harmless.
/// </summary>
public static class RollbackTimer
{
    /// <summary>Whether systemd runs this host (its own test: /run/systemd/system exists only when systemd is PID 1).</summary>
    public static bool SystemdIsInit() => Directory.Exists("/run/systemd/system");

    public static bool UseSystemd(ActivatorConfig config, bool systemdIsInit) => config.RollbackTimer switch
    {
        "systemd" => true,
        "process" => false,
        _ => systemdIsInit,
    };

    /// <summary>How to run this very activator again: the apphost, or <c>dotnet sower-activator.dll</c> when run through dotnet.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "sower-activator";
        if (Path.GetFileNameWithoutExtension(process) == "dotnet") return [process, Assembly.GetExecutingAssembly().Location];
        return [process];
    }

    /// <summary>The fire command: self, the same config file, and the deadline id.</summary>
    public static IReadOnlyList<string> FireCommand(IReadOnlyList<string> self, string? configFile, string id)
    {
        var argv = new List<string>(self);
        if (configFile is not null) argv.AddRange(["--config", configFile]);
        argv.AddRange(["--fire-rollback", id]);
        return argv;
    }

    /// <summary>The unit name of a deadline's transient timer (systemd escapes nothing here: ids are [A-Za-z0-9._-]).</summary>
    public static string UnitName(string id) => "sower-rollback-" + id.Replace('.', '-');

    /// <summary><c>systemd-run --unit=… --on-active=Ns --timer-property=AccuracySec=1s --collect -- FIRE…</c>.</summary>
    public static CommandSpec SystemdSpec(ActivatorConfig config, string id, TimeSpan wait, IReadOnlyList<string> fire)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new CommandSpec(config.SystemdRunCommand,
        [
            "--unit=" + UnitName(id), "--description=Sower rollback deadline " + id, "--on-active=" + seconds + "s",
            "--timer-property=AccuracySec=1s", "--collect", "--", .. fire,
        ]);
    }

    /// <summary>A detached process: <c>sh -c 'exec setsid -f "$@" &lt;/dev/null &gt;&gt;LOG 2&gt;&amp;1'</c> — own session, no client socket, log beside the deadline.</summary>
    public static CommandSpec ProcessSpec(string log, IReadOnlyList<string> fire) =>
        new("/bin/sh", ["-c", "log=$1; shift; exec setsid -f \"$@\" </dev/null >>\"$log\" 2>&1", "sh", log, .. fire]);

    /// <summary>Starts the timer for <paramref name="d"/>; returns its description, or null (and logs why) when it could not start.</summary>
    public static async Task<string?> StartAsync(RollbackDeadline d, ActivatorSettings settings, RollbackStore store, ICommandRunner runner, ActivatorLog log, long nowMs)
    {
        if (RollbackRules.Remaining(d, nowMs) is not { } wait) return null;
        var fire = FireCommand(SelfCommand(), settings.ConfigFile, d.Id);
        var systemd = UseSystemd(settings.Config, SystemdIsInit());
        var spec = systemd ? SystemdSpec(settings.Config, d.Id, wait, fire) : ProcessSpec(store.LogOf(d.Id), fire);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await runner.RunAsync(spec, line => log.JournalOnly("rollback timer", ("output", line)), line => log.JournalOnly("rollback timer", ("error", line)), limit.Token)
            .ConfigureAwait(false);
        if (!result.Succeeded)
        {
            log.Error("Could not start the rollback timer", ("deadline", d.Id), ("command", spec.ToString()), ("exit_code", result.ExitCode));
            return null;
        }
        return systemd ? UnitName(d.Id) + ".timer" : "detached process";
    }
}
