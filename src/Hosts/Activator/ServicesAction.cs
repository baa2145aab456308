using Sower.Messages.Activator;
using Sower.Messages.Domain;

namespace Sower.Activator;

/// <summary>
/// <c>services</c>: the unit-bundle switch. The bundle id is the SHA-256 hex of the sorted seed paths, each followed
/// by '\n'. When <c>current</c> already points to it there is nothing to do. Otherwise every seed's
/// <c>.sower/systemd/</c> is copied, without overwriting, into <c>&lt;state&gt;/&lt;id&gt;/systemd/</c> (built in a
/// temporary directory and renamed into place), <c>sd-switch --system</c> runs with the old and new unit
/// directories, and on success <c>current</c> is switched atomically (symlink + rename).
/// </summary>
public sealed class ServicesAction : IActivatorAction
{
    public string? Check(ActionContext context) => null;

    public static string BundleId(IEnumerable<string> paths) => ServiceBundle.Id(paths);

    public static string SdSwitchMissing(string command) =>
        $"sd-switch not found ({command}): services activation needs sd-switch; install it or set sd_switch_command in the activator config";

    public async Task<int> ExecuteAsync(ActionContext context)
    {
        var seeds = context.Request.Seeds!;
        var state = context.Settings.Config.ServicesStateDir;
        var id = BundleId(seeds.Select(s => s.Path));
        var current = Path.Combine(state, "current");
        var currentTarget = new FileInfo(current).LinkTarget;
        if (currentTarget is not null && Path.GetFileName(currentTarget.TrimEnd('/')) == id)
        {
            context.Log.Info($"services already activated (hash={id})");
            return 0;
        }
        var sdSwitch = ProcessCommandRunner.FindOnPath(context.Settings.Config.SdSwitchCommand);
        if (sdSwitch is null)
        {
            context.Log.Error(SdSwitchMissing(context.Settings.Config.SdSwitchCommand));
            return ActivatorExitCodes.Refused;
        }

        Actions.EnsureDirectory(state);
        var bundle = Path.Combine(state, id);
        var staging = Path.Combine(state, $".{id}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        var units = Path.Combine(staging, "systemd");
        Directory.CreateDirectory(Path.Combine(units, "system"));
        foreach (var seed in seeds)
        {
            CopySeedUnits(context, seed, units);
        }
        if (Directory.Exists(bundle)) Directory.Delete(bundle, recursive: true);
        Directory.Move(staging, bundle);

        var args = new List<string> { "--system", "--new-units", Path.Combine(bundle, "systemd", "system") };
        if (currentTarget is not null)
        {
            var old = Path.Combine(Path.IsPathRooted(currentTarget) ? currentTarget : Path.Combine(state, currentTarget), "systemd", "system");
            if (Directory.Exists(old)) args.AddRange(["--old-units", old]);
        }
        var result = await context.RunAsync(new CommandSpec(sdSwitch, args)).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            context.Log.Error("sd-switch failed; current unit bundle unchanged", ("hash", id), ("exit_code", result.ExitCode));
            return result.ExitCode;
        }
        var link = Path.Combine(state, $".current.tmp-{Environment.ProcessId}");
        File.Delete(link);
        File.CreateSymbolicLink(link, id);
        // rename(2) directly: atomic, and it moves the link itself (File.Move looks through it).
        if (Native.rename(link, current) != 0) throw new IOException($"cannot switch {current}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        context.Log.Info($"services activated (hash={id})", ("seeds", seeds.Count));
        return 0;
    }

    private static void CopySeedUnits(ActionContext context, ServiceSeed seed, string destination)
    {
        var source = Native.RealPath(seed.Path + "/.sower/systemd");
        if (source is null || !Directory.Exists(source))
        {
            context.Log.Info("WARN seed has no units", ("seed", seed.Name), ("path", seed.Path));
            return;
        }
        if (!source.StartsWith(StorePath.StoreDir, StringComparison.Ordinal))
        {
            context.Log.Error("WARN seed units outside /nix/store skipped", ("seed", seed.Name));
            return;
        }
        CopyTree(context, seed, source, source, destination);
    }

    private static void CopyTree(ActionContext context, ServiceSeed seed, string root, string dir, string destination)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, entry.FullName);
            var target = Path.Combine(destination, relative);
            if (entry.LinkTarget is not null)
            {
                // Unit files are often links into the store; keep those, never follow one out of it.
                var resolved = Native.RealPath(entry.FullName);
                if (resolved is null || !resolved.StartsWith(StorePath.StoreDir, StringComparison.Ordinal))
                {
                    context.Log.Error("WARN unit link outside /nix/store skipped", ("seed", seed.Name), ("file", relative));
                    continue;
                }
                if (Path.Exists(target) || new FileInfo(target).LinkTarget is not null)
                {
                    context.Log.Info($"WARN unit collision: seed={seed.Name} file={relative}");
                    continue;
                }
                File.CreateSymbolicLink(target, resolved);
            }
            else if (entry is DirectoryInfo)
            {
                Directory.CreateDirectory(target);
                CopyTree(context, seed, root, entry.FullName, destination);
            }
            else
            {
                if (Path.Exists(target))
                {
                    context.Log.Info($"WARN unit collision: seed={seed.Name} file={relative}");
                    continue;
                }
                File.Copy(entry.FullName, target);
            }
        }
    }
}
