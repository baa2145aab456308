using System.Collections.Immutable;
using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Runs <c>nix store diff-closures RUNNING NEW</c> and <c>nix path-info -S</c> (Nix 2.8 needs <c>nix-command</c>; <c>--offline</c>
/// so nothing waits on a cache) and returns the "what changes" lines of the deployment log. Whatever goes wrong (no
/// <c>nix</c>, no access to the store, a timeout) comes back as one line saying so: a diff never fails a deployment.
/// </summary>
public static class ClosureDiffRunner
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);
    private const int MaxOutputChars = 256 * 1024;

    public static async Task<ImmutableArray<string>> SummarizeAsync(string running, string next, TimeSpan limit, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            var diff = await RunAsync(["store", "diff-closures", "--offline", running, next], timeout.Token).ConfigureAwait(false);
            if (diff.ExitCode != 0) return [Unavailable(diff.Error)];
            var sizes = await RunAsync(["path-info", "--offline", "-S", "--json", running, next], timeout.Token).ConfigureAwait(false);
            var (oldSize, newSize) = sizes.ExitCode == 0 ? ClosureSizes(sizes.Output, running, next) : (null, null);
            return ClosureDiff.Summarize(ClosureDiff.Parse(diff.Output), oldSize, newSize);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return [Unavailable($"timed out after {limit.TotalSeconds:0}s")];
        }
        catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
        {
            return [Unavailable(e.Message)];
        }
    }

    public static string Unavailable(string why) => "what changes: not available (the closure diff could not run: " + FirstLine(why) + ")";

    /// <summary>The <c>closureSize</c> of both paths from <c>nix path-info -S --json</c> (a list of objects on Nix 2.8).</summary>
    public static (long? Old, long? New) ClosureSizes(string json, string running, string next)
    {
        try
        {
            long? Size(string path) => JsonNode.Parse(json) is JsonArray list
                ? list.OfType<JsonObject>().FirstOrDefault(o => (string?)o["path"] == path)?["closureSize"]?.GetValue<long>()
                : null;
            return (Size(running), Size(next));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return (null, null);
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => l.StartsWith("error", StringComparison.Ordinal))
                   ?? text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no output";
        line = LogLines.StripAnsi(line);
        return line.Length <= 200 ? line : line[..199] + "…";
    }

    private sealed record Result(int ExitCode, string Output, string Error);

    private static async Task<Result> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nix")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--extra-experimental-features");
        start.ArgumentList.Add("nix-command");
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("nix did not start");
        process.StandardInput.Close();
        try
        {
            var output = ReadBoundedAsync(process.StandardOutput, cancellationToken);
            var error = ReadBoundedAsync(process.StandardError, cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return new Result(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var buffer = new char[8192];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (text.Length < MaxOutputChars) text.Append(buffer, 0, Math.Min(read, MaxOutputChars - text.Length));
        }
        return text.ToString();
    }
}
