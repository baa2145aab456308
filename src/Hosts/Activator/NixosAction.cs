using System.Globalization;
using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>
/// <c>nixos</c>: for switch and boot, <c>nix-env --profile &lt;system_profile&gt; --set PATH</c> and then
/// <c>PATH/bin/switch-to-configuration MODE</c>; for test and dry-activate only the script, the profile untouched
/// (pitfall 44). When the script fails (or times out) after the profile moved, the profile goes back to the previous
/// generation, and the client is told.
/// </summary>
public sealed class NixosAction : IActivatorAction
{
    public const string Script = "bin/switch-to-configuration";
    private static readonly TimeSpan RollbackLimit = TimeSpan.FromMinutes(2);

    public string? Check(ActionContext context) =>
        StoreFiles.ResolveExecutable(context.Request.Path!, Script, NotASystem(context.Request.Path!)).Error;

    public static string NotASystem(string path) => $"not a NixOS system: {path}/{Script} does not exist";

    public async Task<int> ExecuteAsync(ActionContext context)
    {
        var request = context.Request;
        var mode = request.Mode!;
        var (script, error) = StoreFiles.ResolveExecutable(request.Path!, Script, NotASystem(request.Path!));
        if (script is null)
        {
            context.Frames.Error(error!);
            return ActivatorExitCodes.Refused;
        }
        var profile = context.Settings.Config.SystemProfile;
        var movesProfile = NixosModes.SetsProfile(mode);
        Previous? previous = null;
        string? previousPath = null;
        if (movesProfile)
        {
            previous = new Previous(ProfileGenerations.Current(profile), new FileInfo(profile).LinkTarget);
            previousPath = RollbackArming.FinalTarget(profile);
            Actions.EnsureDirectory(Path.GetDirectoryName(profile)!);
            var set = await context.RunAsync(new CommandSpec("nix-env", ["--profile", profile, "--set", request.Path!])).ConfigureAwait(false);
            if (!set.Succeeded)
            {
                context.Log.Error("Setting the system profile failed", ("profile", profile), ("exit_code", set.ExitCode));
                return set.ExitCode;
            }
            context.Log.Info("System profile set", ("profile", profile), ("generation", ProfileGenerations.Current(profile)));
        }

        CommandResult switched;
        try
        {
            switched = await context.RunAsync(new CommandSpec(script, [mode])).ConfigureAwait(false);
        }
        catch (RequestTimedOutException)
        {
            if (movesProfile) await RollBackAsync(context, profile, previous).ConfigureAwait(false);
            throw;
        }
        if (switched.Succeeded)
        {
            context.Log.Info("Activation finished", ("mode", mode), ("path", request.Path));
            var timeout = RollbackRules.EffectiveTimeout(request.ConfirmTimeout, context.Settings.Config);
            if (movesProfile && timeout > 0
                && RollbackArming.ForNixos(context, timeout, profile, previousPath, previous?.Generation, previous?.Generation is null ? previous?.LinkTarget : null) is { } deadline)
            {
                await RollbackArming.ArmAsync(context, deadline).ConfigureAwait(false);
            }
            return 0;
        }
        context.Log.Error("switch-to-configuration failed", ("mode", mode), ("exit_code", switched.ExitCode));
        if (movesProfile) await RollBackAsync(context, profile, previous).ConfigureAwait(false);
        return switched.ExitCode;
    }

    /// <summary>What the profile pointed to before: a generation number, or at least the raw link (or nothing).</summary>
    private sealed record Previous(int? Generation, string? LinkTarget);

    private static async Task RollBackAsync(ActionContext context, string profile, Previous? previous)
    {
        using var limit = new CancellationTokenSource(RollbackLimit);
        if (previous?.Generation is { } generation)
        {
            var back = await context.RunAsync(
                new CommandSpec("nix-env", ["--profile", profile, "--switch-generation", generation.ToString(CultureInfo.InvariantCulture)]),
                limit.Token).ConfigureAwait(false);
            if (back.Succeeded) context.Log.Error("Rolled back the system profile to the previous generation", ("profile", profile), ("generation", generation));
            else context.Log.Error("Rollback of the system profile FAILED; it still points to the new generation", ("profile", profile), ("exit_code", back.ExitCode));
            return;
        }
        try
        {
            if (previous?.LinkTarget is { } target)
            {
                // Not a generation link (set by hand?): put the exact old link back, atomically.
                var temporary = profile + $".sower-rollback-{Environment.ProcessId}";
                File.Delete(temporary);
                File.CreateSymbolicLink(temporary, target);
                if (Native.rename(temporary, profile) != 0) throw new IOException($"rename failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
                context.Log.Error("Rolled back the system profile to its previous link", ("profile", profile), ("target", target));
                return;
            }
            // There was no profile before: remove the link so it points nowhere rather than at a broken system.
            File.Delete(profile);
            context.Log.Error("Rolled back the system profile: there was no previous generation, the profile link was removed", ("profile", profile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Log.Error("Rollback of the system profile FAILED", ("profile", profile), ("error", e.Message));
        }
    }
}
