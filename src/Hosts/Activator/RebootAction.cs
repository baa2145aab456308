namespace Sower.Activator;

/// <summary>
/// <c>reboot</c>: logs the reason, waits a short delay (default 5 s) so replies already sent reach the garden, then
/// runs the configured reboot command (default <c>systemctl reboot</c>, which returns once the job is queued).
/// </summary>
public sealed class RebootAction : IActivatorAction
{
    public string? Check(ActionContext context) => null;

    public async Task<int> ExecuteAsync(ActionContext context)
    {
        var command = context.Settings.Config.RebootCommand;
        context.Log.Info("Reboot requested", ("reason", context.Request.Reason), ("delay_seconds", ActivatorMessages.Seconds(context.Settings.RebootDelay)));
        try
        {
            await Task.Delay(context.Settings.RebootDelay, context.Deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new RequestTimedOutException();
        }
        var result = await context.RunAsync(new CommandSpec(command[0], command.Skip(1).ToList())).ConfigureAwait(false);
        if (result.Succeeded) context.Log.Info("Reboot initiated", ("reason", context.Request.Reason));
        else context.Log.Error("Reboot command failed", ("exit_code", result.ExitCode));
        return result.ExitCode;
    }
}
