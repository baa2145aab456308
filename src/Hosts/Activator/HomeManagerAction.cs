using System.Globalization;
using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>
/// <c>home-manager</c>: runs <c>PATH/activate</c> as the target user (pitfall 3) — its uid, primary gid and
/// supplementary groups, a clean environment (HOME, USER, LOGNAME, XDG_RUNTIME_DIR, the user bus when it exists, a
/// minimal PATH), in its home directory. Never as root unless allowed_home_manager_users lists root. A non-root caller in pipe mode
/// may only activate for itself.
/// </summary>
public sealed class HomeManagerAction : IActivatorAction
{
    public const string Script = "activate";

    public static string NotAGeneration(string path) => $"not a Home-Manager generation: {path}/{Script} does not exist";

    public string? Check(ActionContext context)
    {
        var request = context.Request;
        var user = context.Accounts.FindUser(request.User!);
        if (user is null) return ActivatorRequestValidator.UnknownUser(request.User);
        if (!context.Self.IsRoot && user.Name != context.Self.UserName) return ActivatorMessages.UsernameMismatch;
        if (context.Self.IsRoot && NotAllowed(context.Settings.Config, user) is { } refused) return refused;
        return StoreFiles.ResolveExecutable(request.Path!, Script, NotAGeneration(request.Path!)).Error;
    }

    /// <summary>
    /// The operator's limit on whom a root activator acts as (a non-root caller only ever activates for itself):
    /// <c>allowed_home_manager_users</c> when set, else everyone but uid 0.
    /// </summary>
    public static string? NotAllowed(ActivatorConfig config, UserAccount user)
    {
        if (config.AllowedHomeManagerUsers is { } allowed)
        {
            if (allowed.Contains(user.Name, StringComparer.Ordinal)) return null;
            return user.Uid == 0 ? ActivatorMessages.HomeManagerRootRefused(user.Name) : ActivatorMessages.HomeManagerUserNotAllowed(user.Name);
        }
        return user.Uid == 0 ? ActivatorMessages.HomeManagerRootRefused(user.Name) : null;
    }

    public async Task<int> ExecuteAsync(ActionContext context)
    {
        var request = context.Request;
        var user = context.Accounts.FindUser(request.User!)!;
        var (script, error) = StoreFiles.ResolveExecutable(request.Path!, Script, NotAGeneration(request.Path!));
        if (script is null)
        {
            context.Frames.Error(error!);
            return ActivatorExitCodes.Refused;
        }
        var spec = SpecFor(context.Self, user, request.Path! + "/" + Script);
        var timeout = context.Self.IsRoot ? RollbackRules.EffectiveTimeout(request.ConfirmTimeout, context.Settings.Config) : 0;
        var previous = timeout > 0 && RollbackArming.HomeManagerProfile(user) is { } profile ? RollbackArming.FinalTarget(profile) : null;
        context.Log.Info("Activating Home-Manager generation", ("user", user.Name), ("uid", user.Uid), ("path", request.Path));
        var result = await context.RunAsync(spec).ConfigureAwait(false);
        if (result.Succeeded)
        {
            context.Log.Info("Activation finished", ("user", user.Name), ("path", request.Path));
            // Only a root activator keeps deadlines (its state directory); a user's own pipe-mode activator does not.
            if (timeout > 0 && RollbackArming.ForHomeManager(context, timeout, user, previous) is { } deadline)
            {
                await RollbackArming.ArmAsync(context, deadline).ConfigureAwait(false);
            }
        }
        return result.ExitCode;
    }

    /// <summary>The command: as the target user (dropped from root when needed), clean environment, in the home directory.</summary>
    public static CommandSpec SpecFor(ActivatorProcessIdentity self, UserAccount user, string activate)
    {
        var uid = user.Uid.ToString(CultureInfo.InvariantCulture);
        var runtimeDir = "/run/user/" + uid;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = user.Home,
            ["USER"] = user.Name,
            ["LOGNAME"] = user.Name,
            ["XDG_RUNTIME_DIR"] = runtimeDir,
            ["PATH"] = string.Join(':',
                "/run/wrappers/bin", $"/etc/profiles/per-user/{user.Name}/bin", "/nix/var/nix/profiles/default/bin",
                "/run/current-system/sw/bin", "/usr/local/bin", "/usr/bin", "/bin"),
        };
        var bus = runtimeDir + "/bus";
        if (File.Exists(bus)) env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + bus;
        return new CommandSpec(activate, [])
        {
            Environment = env,
            WorkingDirectory = Directory.Exists(user.Home) ? user.Home : "/",
            RunAs = self.IsRoot && user.Uid != 0 ? user : null,
        };
    }
}
