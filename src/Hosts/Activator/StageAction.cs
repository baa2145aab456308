namespace Sower.Activator;

/// <summary>
/// <c>stage</c>: <c>nix-store --realise PATH --add-root ROOT</c>, with the operator's extra substituters and keys.
/// The root is <c>&lt;gcroots_dir&gt;/&lt;gcroot&gt;</c> as root, or <c>&lt;user_gcroots_dir&gt;/&lt;user&gt;/sower-&lt;gcroot&gt;</c>
/// for a non-root caller in pipe mode. Nix replaces an existing root of the same name, so the closure staged before
/// for that subscription is no longer pinned (pitfall 29: a staged closure is always pinned).
/// </summary>
public sealed class StageAction : IActivatorAction
{
    public string? Check(ActionContext context) => null;

    public static string RootFor(ActionContext context)
    {
        var c = context.Settings.Config;
        var name = context.Request.Gcroot!;
        return context.Self.IsRoot
            ? Path.Combine(c.GcrootsDir, name)
            : Path.Combine(c.UserGcrootsDir, context.Self.UserName, "sower-" + name);
    }

    public async Task<int> ExecuteAsync(ActionContext context)
    {
        var root = RootFor(context);
        Actions.EnsureDirectory(Path.GetDirectoryName(root)!);
        var args = new List<string> { "--realise", context.Request.Path!, "--add-root", root };
        args.AddRange(context.NixTrustOptions());
        var result = await context.RunAsync(new CommandSpec("nix-store", args)).ConfigureAwait(false);
        if (result.Succeeded) context.Log.Info("Staged", ("path", context.Request.Path), ("root", root));
        else context.Log.Error("Staging failed", ("path", context.Request.Path), ("exit_code", result.ExitCode));
        return result.ExitCode;
    }
}
