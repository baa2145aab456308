using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>
/// Writes response frames to the client, one JSON line each, flushed immediately. Thread-safe (child stdout and
/// stderr arrive on different threads). Guarantees at most one <c>complete</c> frame, always last. When the client
/// goes away the writer stops writing and the activation carries on (REFERENCE §7.6); the journal keeps everything.
/// </summary>
public sealed class FrameWriter(Stream output)
{
    private readonly Lock _gate = new();
    private string _id = "";

    public bool ClientGone { get; private set; }

    public bool Completed { get; private set; }

    /// <summary>The request id the frames carry: "" until a request has been parsed (and for unauthorized peers).</summary>
    public string Id
    {
        get { lock (_gate) return _id; }
        set { lock (_gate) _id = value; }
    }

    public void Output(string data) => Write(ActivatorFrameTypes.Output, data, null);

    public void Error(string data) => Write(ActivatorFrameTypes.Error, data, null);

    public void Complete(int exitCode) => Write(ActivatorFrameTypes.Complete, null, exitCode);

    private void Write(string type, string? data, int? exitCode)
    {
        lock (_gate)
        {
            if (Completed) return;
            if (type == ActivatorFrameTypes.Complete) Completed = true;
            if (ClientGone) return;
            try
            {
                output.Write(ActivatorProtocol.SerializeFrameLine(new ActivatorFrame(_id, type, data, exitCode)));
                output.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or System.Net.Sockets.SocketException)
            {
                ClientGone = true;
            }
        }
    }
}
