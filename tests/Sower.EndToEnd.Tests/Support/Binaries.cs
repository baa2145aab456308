namespace Sower.EndToEnd.Tests.Support;

/// <summary>
/// The built executables of this checkout (the test project references them, so they are built with it, in the same
/// configuration). The garden's files are copied into the run directory because it runs as an unprivileged user who
/// may not be able to read the checkout (e.g. under /root).
/// </summary>
public sealed class Binaries
{
    private Binaries(string server, string garden, string activator, string cli)
    {
        Server = server;
        Garden = garden;
        Activator = activator;
        Cli = cli;
    }

    public string Server { get; }
    public string Garden { get; private set; }
    public string Activator { get; }
    public string Cli { get; }

    public static Binaries Locate()
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd('/');
        var framework = Path.GetFileName(baseDir);                      // net10.0
        var configuration = Path.GetFileName(Path.GetDirectoryName(baseDir)!); // Release / Debug
        var root = new DirectoryInfo(baseDir);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Sower.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"cannot find Sower.sln above {baseDir}");
        string Exe(string project, string name)
        {
            var path = Path.Combine(root.FullName, project, "bin", configuration, framework, name);
            if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: build the solution ({configuration}) first");
            return path;
        }
        return new Binaries(
            Exe("src/Hosts/Server", "sower-server"), Exe("src/Hosts/Garden", "sower-garden"),
            Exe("src/Hosts/Activator", "sower-activator"), Exe("src/Cli", "sower"));
    }

    /// <summary>Copies the garden's output directory to a world-readable place and uses that copy.</summary>
    public void ShareGardenUnder(string dir)
    {
        var source = Path.GetDirectoryName(Garden)!;
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        Garden = Path.Combine(dir, Path.GetFileName(Garden));
        File.SetUnixFileMode(Garden, (UnixFileMode)Convert.ToInt32("755", 8));
    }
}
