using System.Collections.Concurrent;
using System.Text;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests.Support;

/// <summary>A runner that must never be reached: it records every attempt so a test can assert there was none.</summary>
public sealed class ForbiddingRunner : ICommandRunner
{
    private int _attempts;
    public readonly ConcurrentQueue<CommandSpec> Attempts = new();

    public int Count => Volatile.Read(ref _attempts);

    public Task<CommandResult> RunAsync(CommandSpec spec, Action<string> stdout, Action<string> stderr, CancellationToken timeout)
    {
        Interlocked.Increment(ref _attempts);
        Attempts.Enqueue(spec);
        return Task.FromResult(new CommandResult(0, false));
    }
}

/// <summary>A runner that records the commands and answers with scripted results (for the in-process action tests).</summary>
public sealed class ScriptedRunner(Func<CommandSpec, CommandResult>? answer = null) : ICommandRunner
{
    public readonly List<CommandSpec> Commands = [];

    public Task<CommandResult> RunAsync(CommandSpec spec, Action<string> stdout, Action<string> stderr, CancellationToken timeout)
    {
        lock (Commands) Commands.Add(spec);
        stdout($"ran {spec.Program}");
        return Task.FromResult(answer?.Invoke(spec) ?? new CommandResult(0, false));
    }
}

/// <summary>Drives the request pipeline in-process, with streams, the way the real binary does.</summary>
public static class InProcess
{
    public static readonly ActivatorProcessIdentity Root = new(0, "root");

    public static ActivatorSettings Settings(ActivatorConfig? config = null, IReadOnlySet<uint>? allowedGids = null, TimeSpan? timeout = null) => new()
    {
        AllowedGids = allowedGids ?? new HashSet<uint>(),
        Config = config ?? new ActivatorConfig { RequestReadTimeoutSeconds = 2 },
        Timeout = timeout ?? TimeSpan.FromSeconds(3600),
    };

    public static RequestPipeline Pipeline(ICommandRunner runner, ActivatorSettings? settings = null, ActivatorProcessIdentity? self = null, TextWriter? journal = null) =>
        new(settings ?? Settings(), runner, SystemAccounts.Instance, self ?? Root, journal ?? TextWriter.Null, TimeProvider.System);

    /// <summary>Sends raw bytes as the request and returns the exit code and the parsed frames.</summary>
    public static async Task<(int ExitCode, List<ActivatorFrame> Frames)> Send(RequestPipeline pipeline, byte[] input, Connection? connection = null)
    {
        using var output = new MemoryStream();
        var code = await pipeline.HandleAsync(new MemoryStream(input), output, connection ?? Connection.Pipe);
        var frames = FrameAssert.Parse(Encoding.UTF8.GetString(output.ToArray()));
        return (code, frames);
    }

    public static Task<(int ExitCode, List<ActivatorFrame> Frames)> Send(RequestPipeline pipeline, ActivatorRequest request, Connection? connection = null) =>
        Send(pipeline, ActivatorProtocol.SerializeRequestLine(request), connection);

    public static Task<(int ExitCode, List<ActivatorFrame> Frames)> Send(RequestPipeline pipeline, string line, Connection? connection = null) =>
        Send(pipeline, Encoding.UTF8.GetBytes(line + "\n"), connection);
}
