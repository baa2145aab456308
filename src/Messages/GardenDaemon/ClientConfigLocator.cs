using System.Runtime.InteropServices;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// The one rule (REFERENCE §5.1, pitfall 42) by which the garden and the CLI find <c>client.json</c>: an explicit option;
/// else <c>$SOWER_CONFIG_FILE</c>; else <c>/etc/sower/client.json</c> for root; else the user's
/// <c>$XDG_CONFIG_HOME/sower/client.json</c> (default <c>~/.config/sower/client.json</c>) if it exists, otherwise the system file.
/// </summary>
public static class ClientConfigLocator
{
    public const string SystemPath = "/etc/sower/client.json";

    public static string Locate(string? explicitPath, Func<string, string?> env, bool isRoot, string? home, Func<string, bool> fileExists)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return explicitPath;
        var fromEnv = env("SOWER_CONFIG_FILE");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        if (isRoot) return SystemPath;
        var xdg = env("XDG_CONFIG_HOME");
        var configHome = !string.IsNullOrEmpty(xdg) ? xdg : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".config");
        if (configHome is not null)
        {
            var user = Path.Combine(configHome, "sower", "client.json");
            if (fileExists(user)) return user;
        }
        return SystemPath;
    }

    /// <summary>The rule applied to this process's environment.</summary>
    public static string Locate(string? explicitPath = null) =>
        Locate(explicitPath, Environment.GetEnvironmentVariable, ProcessIdentity.IsRoot, ProcessIdentity.Home, File.Exists);
}

/// <summary>Who this process runs as; read once from libc and the environment.</summary>
public static class ProcessIdentity
{
#pragma warning disable SYSLIB1054 // plain DllImport: two argument-less calls, no marshalling to generate
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "getegid")]
    private static extern uint GetEgid();
#pragma warning restore SYSLIB1054

    public static uint Uid => OperatingSystem.IsWindows() ? 1000 : GetEuid();
    public static uint Gid => OperatingSystem.IsWindows() ? 1000 : GetEgid();
    public static bool IsRoot => Uid == 0;

    public static string? Home
    {
        get
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (!string.IsNullOrEmpty(home)) return home;
            var profile = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return string.IsNullOrEmpty(profile) ? null : profile;
        }
    }
}
