namespace Sower.Activator;

/// <summary>Reads the one request line: at most 64 KiB, within the delivery time limit, never more than needed.</summary>
public static class RequestReader
{
    public sealed record Result(byte[]? Line, string? Error);

    public static async Task<Result> ReadLineAsync(Stream input, int maxBytes, TimeSpan limit)
    {
        var buffer = new byte[maxBytes + 1];
        var count = 0;
        var deadline = DateTime.UtcNow + limit; // one limit for the whole line: a trickling client gains nothing
        using var cts = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                // WaitAsync as well: not every stream (e.g. a console pipe) honours cancellation.
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero) throw new TimeoutException();
                var read = await input.ReadAsync(buffer.AsMemory(count), cts.Token).AsTask().WaitAsync(remaining, CancellationToken.None).ConfigureAwait(false);
                if (read == 0) return new Result(buffer[..count], null);
                var newline = Array.IndexOf(buffer, (byte)'\n', count, read);
                count += read;
                if (newline >= 0) return newline > maxBytes ? new Result(null, ActivatorMessages.RequestTooLarge) : new Result(buffer[..newline], null);
                if (count > maxBytes) return new Result(null, ActivatorMessages.RequestTooLarge);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            return new Result(null, ActivatorMessages.RequestNotDelivered(limit));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The client went away before sending a full line: treat what arrived as the request (usually nothing).
            return new Result(buffer[..count], null);
        }
    }
}
