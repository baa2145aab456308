namespace Sower.Activator.Tests.Support;

/// <summary>
/// One directory per test run under /tmp, readable by the test users (so they can run the client), removed at exit.
/// Also holds a world-readable copy of the test binaries, because the build output may sit under /root.
/// </summary>
public static class TestArea
{
    public static readonly string Nonce = Guid.NewGuid().ToString("N")[..10];

    private static readonly Lazy<string> RootDir = new(() =>
    {
        var dir = $"/tmp/sower-activator-tests-{Nonce}";
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Shell.Detach($"rm -rf '{dir}'");
        return dir;
    });

    private static readonly Lazy<string> PublicBinDir = new(() =>
    {
        var target = Path.Combine(Root, "bin");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
        Shell.Run("chmod", "-R", "a+rX", target).EnsureSuccess("chmod bin");
        return target;
    });

    public static string Root => RootDir.Value;

    /// <summary>The test binaries (activator and client), readable and runnable by every user.</summary>
    public static string PublicBin => PublicBinDir.Value;

    /// <summary>A fresh directory for one test (mode 0755).</summary>
    public static string NewDir(string name)
    {
        var dir = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 13, 60)]);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        return dir;
    }

    /// <summary>Writes an activator config file (0644) from key/value pairs serialized as JSON.</summary>
    public static string WriteConfig(string dir, object config)
    {
        var path = Path.Combine(dir, "activator.json");
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(config));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        return path;
    }
}
