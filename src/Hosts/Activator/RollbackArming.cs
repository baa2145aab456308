using System.Globalization;

namespace Sower.Activator;

/// <summary>
/// Arms a rollback deadline after a successful switch (REFERENCE §7.7): saves it, with what to go back to, in
/// <c>rollback_state_dir</c>, then starts its timer (a boot-mode deadline waits for <c>--resume-rollbacks</c> at boot).
/// A failure to arm is reported in the request's output but never turns the successful switch into a failure.
/// </summary>
public static class RollbackArming
{
    /// <summary>The store path a profile (or any link chain) ends at, or null.</summary>
    public static string? FinalTarget(string link)
    {
        try
        {
            var info = new FileInfo(link);
            if (info.LinkTarget is null) return null;
            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A Home-Manager user's current generation: the per-user profile, else the XDG one in the home directory.</summary>
    public static string? HomeManagerProfile(UserAccount user)
    {
        foreach (var candidate in new[]
                 {
                     $"/nix/var/nix/profiles/per-user/{user.Name}/home-manager",
                     Path.Combine(user.Home, ".local/state/nix/profiles/home-manager"),
                 })
        {
            if (new FileInfo(candidate).LinkTarget is not null) return candidate;
        }
        return null;
    }

    public static async Task ArmAsync(ActionContext context, RollbackDeadline fresh)
    {
        var store = new RollbackStore(context.Settings.Config.RollbackStateDir);
        var now = context.Log.Time.GetUtcNow().ToUnixTimeMilliseconds();
        RollbackDeadline? armed;
        try
        {
            using (store.Lock(TimeSpan.FromSeconds(30)))
            {
                var (result, superseded) = RollbackRules.Arm(fresh, store.All(), now);
                if (result is null)
                {
                    context.Log.Error("Rollback deadline not armed again: this deployment was already rolled back once", ("deadline", fresh.Id));
                    return;
                }
                foreach (var old in superseded)
                {
                    store.Save(old);
                    context.Log.Info("Rollback deadline superseded", ("deadline", old.Id), ("by", fresh.Deployment));
                }
                store.Save(result);
                armed = result;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            context.Log.Error("Could not arm the rollback deadline; this switch will not be rolled back automatically", ("deadline", fresh.Id), ("error", e.Message));
            return;
        }
        if (armed.FromBoot)
        {
            context.Log.Info("Rollback deadline armed; it runs from the next boot", ("deadline", armed.Id), ("timeout_seconds", armed.TimeoutSeconds),
                ("previous", armed.PreviousPath));
            return;
        }
        var timer = await RollbackTimer.StartAsync(armed, context.Settings, store, context.Runner, context.Log, now).ConfigureAwait(false);
        if (timer is not null)
        {
            using (store.Lock(TimeSpan.FromSeconds(30)))
            {
                if (store.Load(armed.Id) is { State: RollbackStates.Armed } current) store.Save(current with { Timer = timer });
            }
        }
        context.Log.Info("Rollback deadline armed", ("deadline", armed.Id), ("timeout_seconds", armed.TimeoutSeconds),
            ("deadline_at", ActivatorLog.Format(DateTimeOffset.FromUnixTimeMilliseconds(armed.DeadlineAtUnixMs ?? now))),
            ("previous", armed.PreviousPath), ("timer", timer ?? "none"));
    }

    /// <summary>The deadline for a NixOS switch or boot, or null (with the reason logged) when there is nothing to arm.</summary>
    public static RollbackDeadline? ForNixos(ActionContext context, int timeout, string profile, string? previousPath, int? previousGeneration, string? previousLink)
    {
        var request = context.Request;
        if (previousPath is null || previousPath == request.Path)
        {
            context.Log.Info("No rollback deadline: there is no other generation to go back to", ("profile", profile));
            return null;
        }
        var now = context.Log.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var fromBoot = request.Mode == Sower.Messages.Activator.NixosModes.Boot;
        return new RollbackDeadline
        {
            Id = RollbackDeadline.IdFor(request.Deployment!, RollbackDeadline.NixosKind, null),
            Deployment = request.Deployment!,
            Kind = RollbackDeadline.NixosKind,
            Mode = request.Mode!,
            Profile = profile,
            NewPath = request.Path!,
            NewGeneration = ProfileGenerations.Current(profile),
            PreviousPath = previousPath,
            PreviousGeneration = previousGeneration,
            PreviousLink = previousLink,
            ArmedByUid = context.CallerUid,
            TimeoutSeconds = timeout,
            ArmedAtUnixMs = now,
            DeadlineAtUnixMs = fromBoot ? null : now + timeout * 1000L,
            FromBoot = fromBoot,
        };
    }

    /// <summary>The deadline for a Home-Manager activation, or null when there is no earlier generation.</summary>
    public static RollbackDeadline? ForHomeManager(ActionContext context, int timeout, UserAccount user, string? previousPath)
    {
        var request = context.Request;
        if (previousPath is null || previousPath == request.Path)
        {
            context.Log.Info("No rollback deadline: there is no other Home-Manager generation to go back to", ("user", user.Name));
            return null;
        }
        var now = context.Log.Time.GetUtcNow().ToUnixTimeMilliseconds();
        return new RollbackDeadline
        {
            Id = RollbackDeadline.IdFor(request.Deployment!, RollbackDeadline.HomeManagerKind, user.Uid),
            Deployment = request.Deployment!,
            Kind = RollbackDeadline.HomeManagerKind,
            Mode = "activate",
            User = user.Name,
            UserUid = user.Uid,
            Profile = "home-manager:" + user.Uid.ToString(CultureInfo.InvariantCulture),
            NewPath = request.Path!,
            PreviousPath = previousPath,
            ArmedByUid = context.CallerUid,
            TimeoutSeconds = timeout,
            ArmedAtUnixMs = now,
            DeadlineAtUnixMs = now + timeout * 1000L,
        };
    }
}
