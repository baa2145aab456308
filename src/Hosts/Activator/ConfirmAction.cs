using System.Text.Json.Nodes;
using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>
/// <c>confirm</c>: the garden reached its server after the switch of <c>deployment</c>; every armed deadline of that
/// deployment is disarmed. Refused for an unknown deployment and for deadlines another account armed (root excepted).
/// A deadline that already fired answers <see cref="ActivatorExitCodes.RolledBack"/> with the recorded reason; one that waits
/// for a boot answers <see cref="ActivatorExitCodes.NotYetBooted"/>.
/// </summary>
public sealed class ConfirmAction : IActivatorAction
{
    public static string Unknown(string deployment) => $"no rollback deadline for deployment {deployment}";

    public static string NotYours(string deployment) => $"the rollback deadline of deployment {deployment} was armed by another account";

    public string? Check(ActionContext context) => null;

    public Task<int> ExecuteAsync(ActionContext context)
    {
        var deployment = context.Request.Deployment!;
        var store = new RollbackStore(context.Settings.Config.RollbackStateDir);
        var now = context.Log.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var code = ActivatorExitCodes.Success;
        using (store.Lock(TimeSpan.FromSeconds(60)))
        {
            var mine = store.All().Where(d => d.Deployment == deployment).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
            if (mine.Count == 0)
            {
                context.Frames.Error(Unknown(deployment));
                return Task.FromResult(ActivatorExitCodes.Refused);
            }
            var decisions = mine.Select(d => (Deadline: d, Decision: RollbackRules.Confirm(d, context.CallerUid, now))).ToList();
            if (decisions.Any(x => x.Decision.Outcome == ConfirmOutcome.NotYours))
            {
                context.Log.JournalOnly("Refused confirm of a deadline armed by another account", ("deployment", deployment), ("uid", context.CallerUid));
                context.Frames.Error(NotYours(deployment));
                return Task.FromResult(ActivatorExitCodes.Refused);
            }
            foreach (var (d, (outcome, updated)) in decisions)
            {
                if (updated is not null) store.Save(updated);
                switch (outcome)
                {
                    case ConfirmOutcome.Confirmed:
                        context.Log.Info("Rollback deadline confirmed", ("deadline", d.Id));
                        break;
                    case ConfirmOutcome.AlreadyConfirmed:
                    case ConfirmOutcome.Superseded:
                        context.Log.Info("Rollback deadline already settled", ("deadline", d.Id), ("state", d.State));
                        break;
                    case ConfirmOutcome.NotYetBooted:
                        context.Frames.Error($"the rollback deadline {d.Id} runs from the next boot, which has not happened yet");
                        if (code == ActivatorExitCodes.Success) code = ActivatorExitCodes.NotYetBooted;
                        break;
                    case ConfirmOutcome.RolledBack:
                        context.Frames.Error($"rolled back: {d.Reason}");
                        code = ActivatorExitCodes.RolledBack;
                        break;
                }
            }
        }
        return Task.FromResult(code);
    }
}

/// <summary><c>rollback-status</c>: one output frame per deadline of <c>deployment</c>, as a JSON object; nothing changes.</summary>
public sealed class RollbackStatusAction : IActivatorAction
{
    public string? Check(ActionContext context) => null;

    public Task<int> ExecuteAsync(ActionContext context)
    {
        var deployment = context.Request.Deployment!;
        var store = new RollbackStore(context.Settings.Config.RollbackStateDir);
        foreach (var d in store.All().Where(d => d.Deployment == deployment).OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            context.Frames.Output(StatusLine(d));
        }
        return Task.FromResult(ActivatorExitCodes.Success);
    }

    public static string StatusLine(RollbackDeadline d) => new JsonObject
    {
        ["deadline"] = d.Id,
        ["deployment"] = d.Deployment,
        ["kind"] = d.Kind,
        ["state"] = d.State,
        ["reason"] = d.Reason,
        ["new_path"] = d.NewPath,
        ["previous_path"] = d.PreviousPath,
        ["deadline_at_unix_ms"] = d.DeadlineAtUnixMs,
        ["settled_at_unix_ms"] = d.SettledAtUnixMs,
    }.ToJsonString();
}
