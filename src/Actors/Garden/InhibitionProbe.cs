using System.Diagnostics;
using System.Text;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Asks the host whether it is inhibited (issue 14.4): the inhibit file exists, or the inhibit command exits non-zero, does
/// not finish in time, or cannot run (failing safe: a check that cannot answer means "not now"). The command is started
/// directly from its argv list as the garden's own user; nothing goes through a shell. Returns the one-line reason, or null.
/// </summary>
public static class InhibitionProbe
{
    private const int MaxReason = 300;

    public static async Task<string?> CheckAsync(InhibitSettings settings, CancellationToken cancellationToken) =>
        await CheckCoreAsync(settings, cancellationToken).ConfigureAwait(false) is { } reason ? OneLine(reason) : null;

    private static async Task<string?> CheckCoreAsync(InhibitSettings settings, CancellationToken cancellationToken)
    {
        if (File.Exists(settings.File) || Directory.Exists(settings.File)) return $"inhibit file {settings.File} exists";
        if (settings.Command.IsDefaultOrEmpty) return null;
        var program = settings.Command[0];
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in settings.Command.Skip(1)) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return OneLine($"inhibit command {program} could not run: {e.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var output = new StringBuilder();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.CommandTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return $"inhibit command {program} did not finish within {settings.CommandTimeout.TotalSeconds:0.#}s";
            }
            if (process.ExitCode == 0) return null;
            try { output.Append(await stdout.ConfigureAwait(false)).Append(' ').Append(await stderr.ConfigureAwait(false)); }
            catch (Exception e) when (e is IOException or OperationCanceledException) { }
            var said = FirstLine(output.ToString());
            return OneLine($"inhibit command {program} exited with {process.ExitCode}" + (said.Length > 0 ? ": " + said : ""));
        }
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";

    /// <summary>The server takes one line of at most 500 characters: no control characters, bounded.</summary>
    private static string OneLine(string text)
    {
        var clean = new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        return clean.Length > MaxReason ? clean[..MaxReason] + "…" : clean;
    }
}
