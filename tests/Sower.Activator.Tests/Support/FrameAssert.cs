using Sower.Messages.Activator;

namespace Sower.Activator.Tests.Support;

/// <summary>Parses response lines strictly and checks the protocol's one invariant: exactly one complete, last.</summary>
public static class FrameAssert
{
    public static List<ActivatorFrame> Parse(IEnumerable<string> lines)
    {
        var frames = new List<ActivatorFrame>();
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            var frame = ActivatorProtocol.ParseFrame(line, out var error);
            Assert.True(frame is not null, $"not a frame ({error}): {line}");
            frames.Add(frame!);
        }
        return frames;
    }

    public static List<ActivatorFrame> Parse(string output) => Parse(output.Split('\n'));

    /// <summary>Asserts exactly one complete frame, in last position, and returns its exit code.</summary>
    public static int SingleComplete(IReadOnlyList<ActivatorFrame> frames)
    {
        Assert.NotEmpty(frames);
        Assert.Single(frames, f => f.IsComplete);
        Assert.True(frames[^1].IsComplete, "complete must be the last frame");
        return frames[^1].ExitCode!.Value;
    }

    /// <summary>Asserts a refusal: an error frame with exactly <paramref name="message"/> then complete 1.</summary>
    public static void Refused(IReadOnlyList<ActivatorFrame> frames, string message, string id)
    {
        Assert.Equal(1, SingleComplete(frames));
        Assert.Contains(frames, f => f.Type == ActivatorFrameTypes.Error && f.Data == message);
        Assert.All(frames, f => Assert.Equal(id, f.Id));
    }

    public static string Text(IEnumerable<ActivatorFrame> frames) => string.Join('\n', frames.Select(f => $"{f.Type}: {f.Data}"));
}
