using System.Text.RegularExpressions;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// <c>./demo.sh</c> is the README's walk-through and the product's first impression: run exactly as a newcomer would (as
/// root, non-interactively with <c>--once</c>), on the real Nix store, it must deploy the first system through the
/// real server, activator and garden, and then leave nothing behind: no process, no user, no group, no directory.
/// </summary>
public sealed partial class DemoScriptTests(ITestOutputHelper output)
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public async Task The_demo_deploys_the_first_system_into_its_own_profile_and_removes_everything_it_created()
    {
        Requirements.Check();
        var nonce = Guid.NewGuid().ToString("N")[..8];
        var dir = $"/tmp/sower-demo-test-{nonce}";
        var user = $"sower-dt-{nonce}";
        var group = $"sower-dg-{nonce}";
        var env = new Dictionary<string, string>
        {
            ["SOWER_DEMO_DIR"] = dir,
            ["SOWER_DEMO_PORT"] = ServerHandle.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SOWER_DEMO_USER"] = user,
            ["SOWER_DEMO_GROUP"] = group,
        };
        // The test's own build made the binaries (the project references them): --no-build, as the script offers.
        var run = await Shell.RunAsync(Path.Combine(Root, "demo.sh"), ["--once", "--no-build"], env, TimeSpan.FromMinutes(12));
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());

        // The --wait output of the submission, then the deployed profile and the switch the activator ran as root.
        Assert.Contains(": completed (success)", run.Stdout);
        Assert.Contains("rollout finished: 1 matched, 1 succeeded, 0 failed", run.Stdout);
        var profile = ProfileLine().Match(run.Stdout);
        Assert.True(profile.Success, "no profile line in:\n" + run.Stdout);
        Assert.Equal("system-1-link", profile.Groups["link"].Value);
        var system = profile.Groups["target"].Value;
        Assert.EndsWith("-nixos-system-demo-1", system);
        Assert.True(FakeNix.IsValid(system), $"{system} is not a valid store path");
        Assert.Contains($"activations:  switch uid=0 {system}", run.Stdout);
        // The garden's status over its admin socket: the connection and the subscription with its schedule.
        Assert.Contains("connection: connected as grdn_", run.Stdout);
        Assert.Matches(@"(?m)^system +nixos/demo +0 4 \* \* \* \(Etc/UTC\)", run.Stdout);
        // The admin token is never printed (only its file), by the server nor by --once.
        var token = TokenPattern().Match(run.Stdout + run.Stderr);
        Assert.False(token.Success, $"a token was printed: {token.Value}");

        // Cleanup: the directory, the user, the group and every process are gone.
        Assert.False(Directory.Exists(dir), $"{dir} is left behind");
        Assert.NotEqual(0, Shell.Run("getent", "passwd", user).ExitCode);
        Assert.NotEqual(0, Shell.Run("getent", "group", group).ExitCode);
        Assert.Empty(ProcessesMentioning(dir));
    }

    [Fact]
    public async Task The_demo_refuses_a_directory_it_did_not_create_and_leaves_it_alone()
    {
        Requirements.Check();
        var dir = Directory.CreateTempSubdirectory("sower-demo-foreign-").FullName;
        try
        {
            var precious = Path.Combine(dir, "precious");
            File.WriteAllText(precious, "keep me");
            var run = await Shell.RunAsync(Path.Combine(Root, "demo.sh"), ["--once", "--no-build"],
                new Dictionary<string, string> { ["SOWER_DEMO_DIR"] = dir }, TimeSpan.FromMinutes(1));
            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"{dir} exists and was not made by demo.sh", run.Stderr);
            Assert.Equal("keep me", File.ReadAllText(precious));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_demo_refuses_to_run_without_root_and_says_why()
    {
        Requirements.Check();
        var run = await Shell.RunAsync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Path.Combine(Root, "demo.sh"), "--once"],
            limit: TimeSpan.FromMinutes(1));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("run it as root", run.Stderr);
    }

    /// <summary>Every process whose command line mentions the path (the demo's server, activator, garden).</summary>
    private static List<string> ProcessesMentioning(string path)
    {
        var found = new List<string>();
        foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(path, StringComparison.Ordinal)) found.Add($"{Path.GetFileName(proc)}: {cmdline}");
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sower.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"cannot find Sower.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"profile: +(?<link>system-\d+-link) -> (?<target>/nix/store/\S+)")]
    private static partial Regex ProfileLine();

    [GeneratedRegex(@"sower_[a-z0-9]{20,}_[A-Za-z0-9+/=]{20,}")]
    private static partial Regex TokenPattern();
}
