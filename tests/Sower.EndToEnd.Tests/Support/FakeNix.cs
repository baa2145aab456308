using System.Text;

namespace Sower.EndToEnd.Tests.Support;

/// <summary>One small input-addressed derivation built for the run.</summary>
/// <param name="Key">How scenarios refer to it.</param>
/// <param name="Scenario">Its records directory: <c>&lt;run&gt;/records/&lt;scenario&gt;</c>, baked in at build time.</param>
/// <param name="Home">A Home-Manager generation (<c>activate</c>, <c>hm-version</c>) instead of a NixOS system.</param>
/// <param name="SleepSeconds">switch-to-configuration sleeps this long before it records the activation.</param>
/// <param name="Untrusted">Signed with a key the activators do not trust.</param>
/// <param name="Userland">What the system's non-boot part (<c>sw-version</c>) holds; by default the key, so two systems differ
/// beyond their boot components and switch live. Two systems with the same userland differ only in kernel and initrd.</param>
/// <param name="KillsGarden">switch-to-configuration kills the process group named in the scenario's <c>garden.pgid</c> (a switch that takes the garden down).</param>
/// <param name="Fails">switch-to-configuration records that it started, then exits 1 (a broken system whose activation fails).</param>
public sealed record ArtifactSpec(string Key, string Scenario, bool Home = false, int SleepSeconds = 0, bool Untrusted = false, string? Userland = null, bool KillsGarden = false,
    bool Fails = false);

/// <summary>
/// The run's Nix world: fake NixOS systems and Home-Manager generations built with nix-build (builder /bin/sh, absolute
/// tool paths, no sandbox, no substituters), a cache signing key and an untrusted one, and a signed <c>file://</c>
/// binary cache holding every artifact. Artifacts stay in the local store until a scenario evicts them (the CLI's submit
/// check needs them realised); after eviction the garden must fetch them from the cache through the activator.
/// A fake system's <c>bin/switch-to-configuration MODE</c> appends <c>started MODE path</c> to <c>started</c>, sleeps if
/// asked, points <c>current-system</c> at itself for switch/test (as NixOS does), and appends
/// <c>MODE uid=N path=P</c> to <c>activations</c>; a fake <c>activate</c> appends <c>activate uid=N path=P</c> to
/// <c>hm-activations</c>.
/// </summary>
public sealed class FakeNix
{
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _roots = new(StringComparer.Ordinal);

    public FakeNix(string runDir, string nonce, IReadOnlyList<ArtifactSpec> artifacts)
    {
        Nonce = nonce;
        Dir = Path.Combine(runDir, "nix");
        RecordsRoot = Path.Combine(runDir, "records");
        Directory.CreateDirectory(Dir);
        Directory.CreateDirectory(RecordsRoot);
        foreach (var scenario in artifacts.Select(a => a.Scenario).Distinct())
        {
            var d = Path.Combine(RecordsRoot, scenario);
            Directory.CreateDirectory(d);
            File.SetUnixFileMode(d, (UnixFileMode)Convert.ToInt32("1777", 8)); // HM activations run as the target user
        }

        var keys = Path.Combine(Dir, "keys");
        Directory.CreateDirectory(keys);
        Shell.Run("nix-store", "--generate-binary-cache-key", $"sower-e2e-{nonce}-1", Path.Combine(keys, "sk"), Path.Combine(keys, "pk")).EnsureSuccess();
        Shell.Run("nix-store", "--generate-binary-cache-key", $"sower-e2e-untrusted-{nonce}-1", Path.Combine(keys, "usk"), Path.Combine(keys, "upk")).EnsureSuccess();
        PublicKey = File.ReadAllText(Path.Combine(keys, "pk")).Trim();
        CacheDir = Path.Combine(Dir, "cache");

        var expr = Path.Combine(Dir, "artifacts.nix");
        File.WriteAllText(expr, Expression(artifacts));
        var rootsDir = Path.Combine(Dir, "roots");
        Directory.CreateDirectory(rootsDir);
        var args = new List<string>
        {
            expr, "--option", "sandbox", "false", "--option", "substituters", "", "-o", Path.Combine(rootsDir, "result"),
            "--argstr", "nonce", nonce, "--argstr", "records", RecordsRoot,
        };
        foreach (var a in artifacts) args.AddRange(["-A", a.Key]);
        var built = Shell.RunAsync("nix-build", args, limit: TimeSpan.FromMinutes(3)).GetAwaiter().GetResult().EnsureSuccess();
        var lines = built.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var a in artifacts)
        {
            _paths[a.Key] = lines.SingleOrDefault(l => l.EndsWith("." + a.Key, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"nix-build did not report {a.Key}:\n{built}");
        }
        foreach (var root in Directory.EnumerateFileSystemEntries(rootsDir))
        {
            if (new FileInfo(root).LinkTarget is { } target) _roots[target] = root;
        }

        var trusted = artifacts.Where(a => !a.Untrusted).Select(a => _paths[a.Key]).ToArray();
        var untrusted = artifacts.Where(a => a.Untrusted).Select(a => _paths[a.Key]).ToArray();
        if (trusted.Length > 0) Nix3(["store", "sign", "--key-file", Path.Combine(keys, "sk"), .. trusted]);
        if (untrusted.Length > 0) Nix3(["store", "sign", "--key-file", Path.Combine(keys, "usk"), .. untrusted]);
        Nix3(["copy", "--to", CacheUrl, .. _paths.Values]);
    }

    public string Nonce { get; }
    public string Dir { get; }
    public string RecordsRoot { get; }
    public string PublicKey { get; }
    public string CacheDir { get; }
    public string CacheUrl => "file://" + CacheDir;

    public string PathOf(string key) => _paths.TryGetValue(key, out var p) ? p : throw new KeyNotFoundException($"no artifact {key}");

    public string RecordsDir(string scenario) => Path.Combine(RecordsRoot, scenario);

    /// <summary>Like <see cref="Evict"/> after a realtime submit: the garden may already have fetched the path again (it
    /// stages at once), in which case the path stays, in use, and that is fine.</summary>
    public void EvictUnlessFetched(string key)
    {
        var path = PathOf(key);
        if (_roots.Remove(path, out var root)) File.Delete(root);
        Shell.Run("nix-store", "--delete", path);
    }

    /// <summary>Removes the artifact from the local store, so only the signed cache has it.</summary>
    public void Evict(string key)
    {
        var path = PathOf(key);
        if (_roots.Remove(path, out var root)) File.Delete(root);
        Shell.Run("nix-store", "--delete", path).EnsureSuccess();
        if (IsValid(path)) throw new InvalidOperationException($"{path} is still in the local store after nix-store --delete");
    }

    public static bool IsValid(string path) => Shell.Run("nix-store", "--check-validity", path).ExitCode == 0;

    /// <summary>
    /// <c>nix path-info --json --sigs</c> of a path: its <c>signatures</c>, and <c>ultimate</c> (true only when it was built
    /// in this store, absent when it was substituted from a cache).
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject PathInfo(string path)
    {
        var run = Shell.Run("nix", "--extra-experimental-features", "nix-command", "path-info", "--json", "--sigs", path).EnsureSuccess();
        return System.Text.Json.Nodes.JsonNode.Parse(run.Stdout)!.AsArray().Single()!.AsObject();
    }

    /// <summary>Lines <c>MODE uid=N path=P</c>, one per finished switch-to-configuration.</summary>
    public string[] Activations(string scenario) => ReadLines(Path.Combine(RecordsDir(scenario), "activations"));

    /// <summary>Lines <c>started MODE path</c>, written as switch-to-configuration begins.</summary>
    public string[] Started(string scenario) => ReadLines(Path.Combine(RecordsDir(scenario), "started"));

    /// <summary>Lines <c>activate uid=N path=P</c>, one per Home-Manager activation.</summary>
    public string[] HomeActivations(string scenario) => ReadLines(Path.Combine(RecordsDir(scenario), "hm-activations"));

    private static string[] ReadLines(string file) => File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).ToArray() : [];

    private static void Nix3(string[] args) =>
        Shell.RunAsync("nix", new[] { "--extra-experimental-features", "nix-command" }.Concat(args), limit: TimeSpan.FromMinutes(2))
            .GetAwaiter().GetResult().EnsureSuccess();

    private static string Expression(IReadOnlyList<ArtifactSpec> artifacts)
    {
        var body = new StringBuilder();
        foreach (var a in artifacts)
        {
            body.Append(a.Home
                ? $"  \"{a.Key}\" = home \"{a.Scenario}\" \"{a.Key}\";\n"
                : $"  \"{a.Key}\" = system \"{a.Scenario}\" \"{a.Key}\" {a.SleepSeconds} \"{a.Userland ?? a.Key}\" {(a.KillsGarden ? "true" : "false")} {(a.Fails ? "true" : "false")};\n");
        }
        // Runtime scripts avoid "${" (Nix interpolation); the store path is found from $0 when they run.
        return $$"""
            { nonce, records }:
            let
              mk = name: attrs: derivation ({
                inherit name nonce;
                system = builtins.currentSystem;
                builder = "/bin/sh";
                args = [ "-c" attrs.script ];
              } // attrs);
              killPart = kill: if kill then "[ -f $r/garden.pgid ] && kill -KILL -$(cat $r/garden.pgid)\n" else "";
              failPart = fail: if fail then "echo \"switch-to-configuration $1 failed: broken system\" >&2\nexit 1\n" else "";
              system = scenario: key: sleep: userland: kill: fail: mk "nixos-system-e2e-${scenario}-${nonce}.${key}" {
                stc = "#!/bin/sh\nexport PATH=/usr/bin:/bin\nr=${records}/${scenario}\nself=$(cd \"$(dirname \"$0\")/..\" && pwd -P)\necho \"started $1 $self\" >> $r/started\nsleep ${toString sleep}\n${killPart kill}${failPart fail}case \"$1\" in switch|test) ln -sfn \"$self\" $r/current-system.new && mv -T $r/current-system.new $r/current-system ;; esac\necho \"$1 uid=$(id -u) path=$self\" >> $r/activations\necho \"switch-to-configuration $1 done\"\n";
                script = "/bin/mkdir -p $out/bin $out/kernel-modules && echo ${key} > $out/kernel && echo ${key} > $out/initrd && echo 24.11.${nonce} > $out/nixos-version && echo ${userland} > $out/sw-version && printf '%s' \"$stc\" > $out/bin/switch-to-configuration && /bin/chmod 755 $out/bin/switch-to-configuration";
              };
              home = scenario: key: mk "home-manager-generation-e2e-${nonce}.${key}" {
                act = "#!/bin/sh\nexport PATH=/usr/bin:/bin\nself=$(cd \"$(dirname \"$0\")\" && pwd -P)\necho \"activate uid=$(id -u) path=$self\" >> ${records}/${scenario}/hm-activations\necho \"activated as $(id -un)\"\n";
                script = "/bin/mkdir -p $out && echo 24.11 > $out/hm-version && printf '%s' \"$act\" > $out/activate && /bin/chmod 755 $out/activate";
              };
            in {
            {{body}}}
            """;
    }
}
