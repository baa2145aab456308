using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Activator;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// The garden's half of magic rollback (REFERENCE §5.16), its decisions without the actor: what the activator's answer to
/// a confirmation means, and what a restarted garden learns from the activator's rollback status. The replies are the
/// activator's data lines of the request; an error frame's text is prefixed with <see cref="ErrorPrefix"/>.
/// </summary>
public static class RollbackConfirmation
{
    public const string ErrorPrefix = "error:";

    /// <summary>How many times a confirmation the activator could not be asked is tried again.</summary>
    public const int MaxAttempts = 10;

    public enum Verdict
    {
        /// <summary>The deployment completes with its own result; <see cref="Outcome.Text"/> goes in its log.</summary>
        Settled,

        /// <summary>The activator went back to the previous generation: the deployment ends <c>rolled_back</c>, <see cref="Outcome.Text"/> the reason.</summary>
        RolledBack,

        /// <summary>This garden asked for the reboot the deadline waits for: nothing to do until it has booted.</summary>
        WaitForBoot,

        /// <summary>The activator could not be asked: try again shortly.</summary>
        Retry,
    }

    public sealed record Outcome(Verdict Verdict, string? Text);

    /// <param name="exitCode">The confirmation request's exit code; null when the activator could not be reached.</param>
    /// <param name="rebootRequestedHere">This deployment asked for the reboot whose boot the deadline waits for.</param>
    /// <param name="attempts">Confirmations the activator could not be asked so far, this one included.</param>
    public static Outcome Decide(int? exitCode, string? error, IReadOnlyList<string> replies, bool rebootRequestedHere, int attempts)
    {
        var errors = replies.Where(r => r.StartsWith(ErrorPrefix, StringComparison.Ordinal)).Select(r => r[ErrorPrefix.Length..]).ToList();
        return exitCode switch
        {
            ActivatorExitCodes.Success => new(Verdict.Settled, "confirmed: this garden reached the server after the switch; the rollback deadline is disarmed"),
            ActivatorExitCodes.RolledBack => new(Verdict.RolledBack,
                errors.FirstOrDefault(e => e.StartsWith("rolled back: ", StringComparison.Ordinal))?["rolled back: ".Length..] ?? string.Join("; ", errors)),
            ActivatorExitCodes.NotYetBooted when rebootRequestedHere => new(Verdict.WaitForBoot, null),
            ActivatorExitCodes.NotYetBooted => new(Verdict.Settled,
                "the rollback deadline still waits for a boot that has not happened; it fires only if the garden cannot reach the server after the next boot"),
            null when attempts < MaxAttempts => new(Verdict.Retry, null),
            _ => new(Verdict.Settled, $"confirmation not recorded by the activator: {error ?? string.Join("; ", errors)}"),
        };
    }

    /// <summary>What the activator's rollback status says about an interrupted activation's deadline: the reason it fired
    /// (null: it did not), and whether one is still armed. Lines that are not status objects are the activator's log.</summary>
    public static (string? FiredReason, bool Armed) ReadStatus(IReadOnlyList<string> replies)
    {
        var states = new List<(string State, string? Reason)>();
        foreach (var line in replies)
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && o["state"]?.GetValue<string>() is { } state) states.Add((state, o["reason"]?.GetValue<string>()));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                // a log line of the activator, not a status line
            }
        }
        if (states.FirstOrDefault(s => s.State is "rolled_back" or "rollback_failed") is { State: not null } fired)
            return (fired.Reason ?? "the activator rolled the switch back", false);
        return (null, states.Any(s => s.State == "armed"));
    }
}
