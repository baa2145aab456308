namespace Sower.Activator;

/// <summary><c>profile</c>: <c>nix-env --profile &lt;profiles_dir&gt;/&lt;profile&gt; --set PATH</c> (for gcroot seeds).</summary>
public sealed class ProfileAction : IActivatorAction
{
    public string? Check(ActionContext context) => null;

    public async Task<int> ExecuteAsync(ActionContext context)
    {
        var dir = context.Settings.Config.ProfilesDir;
        Actions.EnsureDirectory(dir);
        var profile = Path.Combine(dir, context.Request.Profile!);
        var result = await context.RunAsync(new CommandSpec("nix-env", ["--profile", profile, "--set", context.Request.Path!])).ConfigureAwait(false);
        if (result.Succeeded) context.Log.Info("Profile set", ("profile", profile), ("path", context.Request.Path));
        return result.ExitCode;
    }
}
