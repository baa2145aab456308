using System.Text.Json.Nodes;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>
/// Prints the rollout events streamed by the CLI hub (kinds: submitted, matched, deployment, wave, log, done, error) and
/// decides the exit code: 1 if any deployment failed or the rollout halted, 4 if every matched subscription was held by policy, 3 for an
/// unknown deployment, 1 with a message on timeout. With --json every event is printed as one JSON line.
/// </summary>
public sealed class RolloutPrinter(CliIo io, bool json)
{
    private readonly Progress _progress = new(io);
    private readonly Dictionary<string, string> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _seedStates = new(StringComparer.Ordinal);

    public JsonObject? Submitted { get; private set; }

    /// <summary>The <c>recalled</c> event of `sower seed recall --wait`.</summary>
    public JsonObject? Recalled { get; private set; }

    public async Task<int> Consume(IAsyncEnumerable<JsonObject> events, TimeSpan? timeout, CancellationToken cancellation, string waitingFor)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (timeout is { } t) limit.CancelAfter(t);
        JsonObject? done = null;
        try
        {
            _progress.Update(waitingFor);
            await foreach (var e in events.WithCancellation(limit.Token))
            {
                var kind = Output.Str(e, "kind");
                if (json)
                {
                    // The seed inside "submitted" keeps the CLI's own stable field set, whatever the server adds.
                    if (kind == "submitted") e["seed"] = Output.Pick(e["seed"], SeedCliCommands.SeedFields);
                    _progress.Line(io.Out, CliJson.Write(e));
                }
                switch (kind)
                {
                    case "submitted":
                        Submitted = e;
                        if (!json) PrintSubmitted(e);
                        break;
                    case "recalled":
                        Recalled = e;
                        if (!json) _progress.Line(io.Out, $"seed {Output.Style(io, Output.Str(e["seed"], "sid") ?? "?", "1")} recalled: {Output.Str(e["seed"], "recall_reason")}");
                        break;
                    case "matched":
                        if (!json) PrintMatched(e);
                        break;
                    case "deployment":
                        if (!json) PrintDeployment(e);
                        break;
                    case "wave":
                        if (!json) _progress.Line(io.Out, "rollout " + RolloutCliCommands.WaveLine(e)
                                                          + (Output.Str(e, "state") == "halted" && Output.Str(e, "rollout_reason") is { } why ? $" — {why}" : ""));
                        break;
                    case "log":
                        if (!json) _progress.Line(io.Out, $"  {Output.Str(e, "subscription_name")} | {Output.Str(e, "line")}");
                        break;
                    case "done":
                        done = e;
                        if (!json) PrintDone(e);
                        break;
                    case "error":
                        _progress.Clear();
                        var message = Output.Str(e, "message") ?? "the server reported an error";
                        throw new CliFailure(Output.Str(e, "error") == "not_found" ? ExitCodes.NotFound : ExitCodes.Failure, message);
                }
                _progress.Update(waitingFor);
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested && timeout is not null)
        {
            _progress.Clear();
            throw new CliFailure(ExitCodes.Failure,
                $"timed out after {Format(timeout.Value)} waiting for {waitingFor}; it goes on on the server (see sower deployment list)");
        }
        finally
        {
            _progress.Clear();
        }
        if (done is null) return Submitted is not null || Recalled is not null ? ExitCodes.Ok : ExitCodes.Failure;
        if (Output.Int(done, "failed") > 0 || Output.Int(done, "rolled_back") > 0) return ExitCodes.Failure;
        // A halted (or aborted) rollout never reached its later waves: the submission did not roll out.
        if (Output.Str(done, "rollout_status") is "halted" or "aborted") return ExitCodes.Failure;
        if (Output.Int(done, "held") > 0 && Output.Int(done, "deployments") == 0 && Output.Int(done, "held") == Output.Int(done, "matched") - Output.Int(done, "not_realtime"))
        {
            return ExitCodes.DeniedByPolicy;
        }
        return ExitCodes.Ok;
    }

    private static string Format(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0} s" : t.TotalMinutes < 120 ? $"{t.TotalMinutes:0} min" : $"{t.TotalHours:0.#} h";

    private void PrintSubmitted(JsonObject e)
    {
        var seed = e["seed"];
        var what = Output.Bool(e, "created") ? "registered" : Output.Bool(e, "promoted") ? "re-submitted and promoted" : "re-submitted (new tags added, recency unchanged)";
        _progress.Line(io.Out, $"seed {Output.Style(io, Output.Str(seed, "sid") ?? "?", "1")} {what}: {Output.Str(seed, "seed_type")}/{Output.Str(seed, "name")} {Output.Str(seed, "artifact")}");
    }

    private void PrintMatched(JsonObject e)
    {
        var decision = Output.Str(e, "decision") ?? "";
        var label = Output.Bool(e, "already_running") ? "already running it" : decision switch
        {
            "allow" => Output.Style(io, "deploying", "32"),
            "confirm" => Output.Style(io, "needs approval", "33"),
            "deny" => Output.Style(io, "held by policy", "31"),
            _ => "not realtime",
        };
        _progress.Line(io.Out, $"matched {Output.Str(e, "garden_name")}/{Output.Str(e, "subscription_name")}: {label} — {Output.Str(e, "reason")}");
    }

    private void PrintDeployment(JsonObject e)
    {
        var sid = Output.Str(e, "deployment_sid") ?? "?";
        var state = Output.Str(e, "state") ?? "?";
        var result = Output.Str(e, "result");
        var shown = result is null ? state : $"{state} ({result})";
        if (!_states.TryGetValue(sid, out var previous) || previous != shown)
        {
            _states[sid] = shown;
            var garden = Output.Str(e, "garden_name") ?? Output.Str(e, "garden_sid");
            var offline = Output.Bool(e, "garden_online") || state != "dispatched" ? "" : " — garden offline; it is delivered when the garden connects";
            var approval = state == "awaiting_approval"
                ? $" — approve with: sower deployment approve {sid} (rule {string.Join(", ", Output.Array(e, "confirm_rules").Select(r => r?.ToString()))})"
                : "";
            _progress.Line(io.Out, $"deployment {sid} on {garden}: {Output.Style(io, shown, Output.StatusColour(result ?? state) ?? "0")}{offline}{approval}");
        }
        foreach (var seed in Output.Array(e, "seeds"))
        {
            var key = sid + "/" + Output.Str(seed, "seed_sid");
            var seedState = Output.Str(seed, "result") is { } r ? $"{Output.Str(seed, "state")} ({r}, executed {Output.Str(seed, "executed_action") ?? "none"})" : Output.Str(seed, "state") ?? "?";
            if (_seedStates.TryGetValue(key, out var before) && before == seedState) continue;
            _seedStates[key] = seedState;
            _progress.Line(io.Out, $"  {Output.Str(seed, "subscription_name")}: {Output.Str(seed, "action")} {seedState}");
        }
    }

    private void PrintDone(JsonObject e)
    {
        if (Submitted is not null && !Output.Bool(Submitted, "fan_out"))
        {
            _progress.Line(io.Out, "no rollout: a re-submission without --promote does not deploy anything");
            return;
        }
        if (Submitted is not null && Output.Int(e, "matched") == 0)
        {
            _progress.Line(io.Out, "no subscription matches this seed");
            return;
        }
        if (Recalled is not null && Output.Int(e, "matched") == 0)
        {
            _progress.Line(io.Out, "no subscription runs this seed: nothing to replace");
            return;
        }
        var parts = new List<string>();
        if (Submitted is not null || Recalled is not null) parts.Add($"{Output.Int(e, "matched")} matched");
        parts.Add($"{Output.Int(e, "succeeded")} succeeded");
        parts.Add($"{Output.Int(e, "failed")} failed");
        if (Output.Int(e, "rolled_back") > 0) parts.Add($"{Output.Int(e, "rolled_back")} rolled back");
        if (Submitted is not null || Recalled is not null) parts.Add($"{Output.Int(e, "held")} held by policy");
        if (Output.Int(e, "already_running") > 0) parts.Add($"{Output.Int(e, "already_running")} already running it");
        parts.Add($"{Output.Int(e, "awaiting_approval")} awaiting approval");
        if (Output.Int(e, "canceled") > 0) parts.Add($"{Output.Int(e, "canceled")} canceled");
        _progress.Line(io.Out, "rollout finished: " + string.Join(", ", parts));
        if (Output.Str(e, "rollout_status") is { } status)
        {
            var reason = Output.Str(e, "rollout_reason") is { } why ? $" ({why})" : "";
            _progress.Line(io.Out, status switch
            {
                "halted" => $"rollout halted{reason}: resume with sower rollout resume, or abort with sower rollout abort",
                "aborted" => $"rollout aborted{reason}",
                _ => $"rollout {status}{reason}",
            });
        }
    }
}
