namespace Sower.Messages.Activator;

/// <summary>
/// One response line from the activator (REFERENCE §7.2): <c>{"id","type","data"?,"exit_code"?}</c>.
/// <c>data</c> is omitted when empty; <c>exit_code</c> appears only on <c>complete</c>, which is always the last frame.
/// </summary>
public sealed record ActivatorFrame(string Id, string Type, string? Data = null, int? ExitCode = null)
{
    public static ActivatorFrame Output(string id, string data) => new(id, ActivatorFrameTypes.Output, data);

    public static ActivatorFrame Error(string id, string data) => new(id, ActivatorFrameTypes.Error, data);

    public static ActivatorFrame Complete(string id, int exitCode) => new(id, ActivatorFrameTypes.Complete, null, exitCode);

    public bool IsComplete => Type == ActivatorFrameTypes.Complete;
}

public static class ActivatorFrameTypes
{
    public const string Output = "output";
    public const string Error = "error";
    public const string Complete = "complete";
}
