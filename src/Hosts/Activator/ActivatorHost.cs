using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>Startup: detect the transport, load flags and config, and run the matching mode (REFERENCE §7.1).</summary>
public static class ActivatorHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var journal = Console.Error;
        var time = TimeProvider.System;
        var log = new ActivatorLog(journal, time);
        var transport = Transport.Detect();

        CommandLine commandLine;
        ActivatorSettings settings;
        try
        {
            commandLine = CommandLine.Parse(args);
            if (commandLine.Help)
            {
                Console.Out.Write(CommandLine.Usage);
                return 0;
            }
            if (commandLine.CheckConfigFile is { } checkFile) return CheckConfig(checkFile);
            settings = ActivatorSettings.Create(commandLine, ActivatorConfig.Load(commandLine.ConfigFile), SystemAccounts.Instance);
        }
        catch (ActivatorSetupException e)
        {
            log.JournalOnly("Startup failed", ("error", e.Message));
            if (transport.IsConnection && args.All(a => !a.StartsWith("--socket", StringComparison.Ordinal))) ReplySetupFailure(transport, e.Message);
            else journal.WriteLine("sower-activator: " + e.Message);
            return ActivatorExitCodes.Refused;
        }

        var self = ActivatorProcessIdentity.Current();
        if (commandLine.FireRollback is not null || commandLine.ResumeRollbacks)
        {
            if (!self.IsRoot)
            {
                journal.WriteLine("sower-activator: " + ActivatorMessages.RootRequired);
                return ActivatorExitCodes.Refused;
            }
            var firer = new RollbackFirer(settings, new ProcessCommandRunner(), log, time);
            return commandLine.FireRollback is { } id ? await firer.FireAsync(id, CancellationToken.None).ConfigureAwait(false) : await firer.ResumeAsync().ConfigureAwait(false);
        }
        var pipeline = new RequestPipeline(settings, new ProcessCommandRunner(), SystemAccounts.Instance, self, journal, time);
        var server = new SocketServer(pipeline, SystemAccounts.Instance, log);

        if (commandLine.SocketPath is { } socketPath) return await ServeBoundSocketAsync(server, settings, self, socketPath, log).ConfigureAwait(false);

        switch (transport.Kind)
        {
            case TransportKind.Listener:
                using (var listener = new Socket(new SafeSocketHandle(transport.Fd, ownsHandle: true)))
                using (var stop = StopOnSignals())
                {
                    return await server.ServeListenerAsync(listener, settings.IdleExit, stop.Token).ConfigureAwait(false);
                }
            case TransportKind.Connection:
                using (var socket = new Socket(new SafeSocketHandle(transport.Fd, ownsHandle: transport.Fd > 2)))
                {
                    return await server.ServeConnectionAsync(socket).ConfigureAwait(false);
                }
            default:
                await using (var stdin = Console.OpenStandardInput())
                await using (var stdout = Console.OpenStandardOutput())
                {
                    return await pipeline.HandleAsync(stdin, stdout, Connection.Pipe).ConfigureAwait(false);
                }
        }
    }

    /// <summary>
    /// <c>--check-config FILE</c>: the loader a start uses, on FILE; exit 0, or 78 (EX_CONFIG) with every problem on stderr.
    /// Whether the <c>allowed_groups</c> exist is not checked: that is the host's answer, and the NixOS module runs this
    /// check in the build sandbox, where they do not.
    /// </summary>
    private static int CheckConfig(string file)
    {
        try
        {
            ActivatorConfig.Load(file);
        }
        catch (ActivatorSetupException e)
        {
            foreach (var problem in e.Problems) Console.Error.WriteLine("Configuration validation failed: " + problem);
            return ActivatorExitCodes.ConfigInvalid;
        }
        Console.Out.WriteLine($"{file}: valid");
        return 0;
    }

    /// <summary>--socket PATH: bind it (mode 0660, group from the config), serve until SIGTERM/SIGINT, remove it.</summary>
    private static async Task<int> ServeBoundSocketAsync(SocketServer server, ActivatorSettings settings, ActivatorProcessIdentity self, string path, ActivatorLog log)
    {
        if (!self.IsRoot)
        {
            Console.Error.WriteLine("sower-activator: " + ActivatorMessages.MustBeRootInSocketMode);
            return ActivatorExitCodes.Refused;
        }
        uint gid = 0;
        if (settings.Config.SocketGroup is { } group)
        {
            if (SystemAccounts.Instance.FindGroup(group) is not { } g)
            {
                Console.Error.WriteLine($"sower-activator: socket_group: unknown group: {group}");
                return ActivatorExitCodes.Refused;
            }
            gid = g;
        }
        if (Native.LStat(path) is { } existing)
        {
            // Only ever replace a stale socket, never another kind of file.
            if (!existing.IsSocket)
            {
                Console.Error.WriteLine($"sower-activator: {path} exists and is not a socket");
                return ActivatorExitCodes.Refused;
            }
            File.Delete(path);
        }
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var previousMask = Native.umask(0x7F /* 0177 */); // no window in which the socket is reachable by others
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            Console.Error.WriteLine($"sower-activator: cannot bind {path}: {e.Message}");
            return ActivatorExitCodes.Refused;
        }
        finally
        {
            Native.umask(previousMask);
        }
        if (Native.chown(path, 0, gid) != 0)
        {
            Console.Error.WriteLine($"sower-activator: cannot set the group of {path}: errno {Marshal.GetLastPInvokeError()}");
            return ActivatorExitCodes.Refused;
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        listener.Listen(16);
        log.JournalOnly("Listening", ("socket", path), ("gid", gid), ("allowed_gids", string.Join(',', settings.AllowedGids.Order())));
        try
        {
            using var stop = StopOnSignals();
            return await server.ServeListenerAsync(listener, TimeSpan.Zero, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>SIGTERM/SIGINT stop accepting; a request already running finishes first (activations are never cut short).</summary>
    private static StopSignal StopOnSignals() => new();

    private sealed class StopSignal : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly PosixSignalRegistration _term;
        private readonly PosixSignalRegistration _interrupt;

        public StopSignal()
        {
            _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        }

        public CancellationToken Token => _cts.Token;

        private void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            _cts.Cancel();
        }

        public void Dispose()
        {
            _term.Dispose();
            _interrupt.Dispose();
            _cts.Dispose();
        }
    }

    /// <summary>A client is attached but the activator cannot start: it still gets an error and a complete frame.</summary>
    private static void ReplySetupFailure(Transport transport, string message)
    {
        try
        {
            Stream stream = transport.Kind == TransportKind.Pipe
                ? Console.OpenStandardOutput()
                : new NetworkStream(new Socket(new SafeSocketHandle(transport.Fd, ownsHandle: false)), ownsSocket: false);
            using (stream)
            {
                var frames = new FrameWriter(stream);
                frames.Error("activator configuration error: " + message);
                frames.Complete(ActivatorExitCodes.Refused);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ArgumentException)
        {
        }
    }
}
