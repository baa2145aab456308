using System.Text.RegularExpressions;

namespace Sower.Activator.Tests.Support;

/// <summary>
/// Real Nix fixtures, built once per test run with a nonce so nothing is shared with other runs: small input-addressed
/// derivations (builder /bin/sh, absolute tool paths, no sandbox, no substituters), a signing key and a wrong key,
/// and a file:// binary cache holding the signed staging closures, which are deleted from the local store.
/// Fake NixOS systems record every switch-to-configuration call (mode and uid); fake Home-Manager generations record
/// who ran them; an "evil" path is a store symlink pointing outside the store.
/// </summary>
public sealed partial class NixStore
{
    private static readonly Lazy<NixStore> Shared = new(() => new NixStore(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static NixStore Instance
    {
        get
        {
            Requirements.Nix();
            return Shared.Value;
        }
    }

    /// <summary>Attributes that are signed, copied to the cache and removed locally (for stage tests).</summary>
    public static readonly string[] CachedAttributes = ["stage-ok", "stage-wrong", "stage-replace-a", "stage-replace-b", "stage-socket"];

    /// <summary>Fake NixOS systems: name → exit code of switch-to-configuration.</summary>
    private static readonly Dictionary<string, int> Systems = new()
    {
        ["sys-base"] = 0,
        ["sys-switch"] = 0,
        ["sys-boot"] = 0,
        ["sys-test"] = 0,
        ["sys-dry"] = 0,
        ["sys-fail"] = 3,
        ["sys-slow"] = 0,
        ["sys-socket"] = 0,
        ["sys-firstfail"] = 4,
        ["sys-rb-base"] = 0,
        ["sys-rb-new"] = 0,
        ["sys-rb-kept-base"] = 0,
        ["sys-rb-kept-new"] = 0,
        ["sys-rb-boot-base"] = 0,
        ["sys-rb-boot-new"] = 0,
        ["sys-unsigned-nixos"] = 0,
        ["sys-unsigned-profile"] = 0,
        ["sys-wrongkey"] = 0,
        ["sys-optout"] = 0,
    };

    /// <summary>
    /// Built here and left as a local build leaves them: no signature (or, for sys-wrongkey, only the wrong key's).
    /// Every other local fixture is signed with <see cref="SecretKeyFile"/>, as a CI that signs what it builds would.
    /// </summary>
    public static readonly string[] UnsignedAttributes = ["sys-unsigned-nixos", "sys-unsigned-profile", "svc-unsigned", "sys-wrongkey", "sys-optout", "hm-unsigned"];

    private static readonly string[] HomeGenerations = ["hm-root", "hm-user", "hm-self", "hm-socket", "hm-denied", "hm-unsigned"];

    /// <summary>Service seeds: name → unit files under .sower/systemd/system (each file names its seed).</summary>
    public static readonly Dictionary<string, string[]> ServiceSeeds = new()
    {
        ["svc-a"] = ["a.service", "shared.service"],
        ["svc-b"] = ["b.service", "shared.service"],
        ["svc-c"] = ["c.service"],
        ["svc-unsigned"] = ["u.service"],
    };

    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);

    private NixStore()
    {
        Dir = TestArea.NewDir("nix");
        RecordsDir = Path.Combine(Dir, "records");
        Directory.CreateDirectory(RecordsDir);
        File.SetUnixFileMode(RecordsDir, (UnixFileMode)0b1_111_111_111); // 1777: fake activate scripts run as test users
        EvilDir = Path.Combine(Dir, "evil");
        EvilMarker = Path.Combine(RecordsDir, "EVIL-EXECUTED");
        WriteEvilTarget();

        var keys = Path.Combine(Dir, "keys");
        Directory.CreateDirectory(keys);
        Shell.Run("nix-store", "--generate-binary-cache-key", $"sower-test-{TestArea.Nonce}-1", Path.Combine(keys, "sk"), Path.Combine(keys, "pk")).EnsureSuccess("generate key");
        Shell.Run("nix-store", "--generate-binary-cache-key", $"sower-wrong-{TestArea.Nonce}-1", Path.Combine(keys, "wsk"), Path.Combine(keys, "wpk")).EnsureSuccess("generate wrong key");
        SecretKeyFile = Path.Combine(keys, "sk");
        PublicKey = File.ReadAllText(Path.Combine(keys, "pk")).Trim();
        WrongPublicKey = File.ReadAllText(Path.Combine(keys, "wpk")).Trim();
        WrongSecretKeyFile = Path.Combine(keys, "wsk");
        CacheDir = Path.Combine(Dir, "cache");

        var expr = Path.Combine(Dir, "fixtures.nix");
        File.WriteAllText(expr, Expression());
        var attrs = CachedAttributes.Concat(Systems.Keys).Concat(HomeGenerations).Concat(ServiceSeeds.Keys).Append("evil").ToList();
        var args = new List<string> { expr, "--option", "sandbox", "false", "--option", "substituters", "", "-o", Path.Combine(Dir, "roots", "result") };
        args.AddRange(["--argstr", "nonce", TestArea.Nonce, "--argstr", "records", RecordsDir, "--argstr", "evil", EvilDir]);
        foreach (var a in attrs) args.AddRange(["-A", a]);
        Directory.CreateDirectory(Path.Combine(Dir, "roots"));
        var built = Shell.Run("nix-build", args).EnsureSuccess("nix-build fixtures");
        foreach (var line in built.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = NameOf().Match(line);
            if (m.Success) _paths[m.Groups[1].Value] = line;
        }
        foreach (var a in attrs)
        {
            if (!_paths.ContainsKey(a)) throw new InvalidOperationException($"nix-build did not report {a}:\n{built.Stdout}\n{built.Stderr}");
        }

        // The activator refuses unsigned paths for nixos, profile and services: sign what the tests activate.
        var local = attrs.Except(CachedAttributes).Except(UnsignedAttributes).Select(StorePathOf).ToArray();
        Sign(SecretKeyFile, local);
        Sign(WrongSecretKeyFile, StorePathOf("sys-wrongkey"));

        // Signed closures in the cache, gone from the store: staging must fetch (and verify) them.
        var cached = CachedAttributes.Select(StorePathOf).ToArray();
        Nix3(["store", "sign", "--key-file", SecretKeyFile, .. cached]).EnsureSuccess("nix store sign");
        Nix3(["copy", "--to", CacheUrl, .. cached]).EnsureSuccess("nix copy");
        foreach (var root in Directory.EnumerateFileSystemEntries(Path.Combine(Dir, "roots")))
        {
            var target = new FileInfo(root).LinkTarget;
            if (target is not null && cached.Contains(target)) File.Delete(root);
        }
        Shell.Run("nix-store", ["--delete", .. cached]).EnsureSuccess("nix-store --delete");
    }

    public string Dir { get; }
    public string RecordsDir { get; }
    public string EvilDir { get; }
    public string EvilMarker { get; }
    public string SecretKeyFile { get; }
    public string WrongSecretKeyFile { get; }
    public string PublicKey { get; }
    public string WrongPublicKey { get; }
    public string CacheDir { get; }
    public string CacheUrl => "file://" + CacheDir;

    public string StorePathOf(string attribute) => _paths[attribute];

    /// <summary>What a fake system's switch-to-configuration recorded: one "MODE uid=N" line per run.</summary>
    public string[] SwitchRecords(string system)
    {
        var file = Path.Combine(RecordsDir, system);
        return File.Exists(file) ? File.ReadAllLines(file) : [];
    }

    /// <summary>What a fake Home-Manager activate recorded (key=value lines), or null when it never ran.</summary>
    public Dictionary<string, string>? HomeRecord(string generation)
    {
        var file = Path.Combine(RecordsDir, generation);
        if (!File.Exists(file)) return null;
        return File.ReadAllLines(file).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }

    /// <summary>Adds a signature with the given secret key to paths in the local store (<c>nix store sign</c>).</summary>
    public static void Sign(string secretKeyFile, params string[] storePaths) =>
        Nix3(["store", "sign", "--key-file", secretKeyFile, .. storePaths]).EnsureSuccess("nix store sign");

    /// <summary>The key names of a path's signatures (<c>nix path-info --json --sigs</c>).</summary>
    public static string[] Signers(string storePath)
    {
        var run = Nix3(["path-info", "--json", "--sigs", storePath]).EnsureSuccess("nix path-info");
        var entry = System.Text.Json.Nodes.JsonNode.Parse(run.Stdout)!.AsArray().Single()!.AsObject();
        return entry["signatures"] is System.Text.Json.Nodes.JsonArray sigs ? sigs.Select(s => s!.GetValue<string>().Split(':')[0]).ToArray() : [];
    }

    public static bool IsValid(string storePath) => Shell.Run("nix-store", "--check-validity", storePath).ExitCode == 0;

    private static Shell.Result Nix3(string[] args) => Shell.Run("nix", new[] { "--extra-experimental-features", "nix-command" }.Concat(args));

    private void WriteEvilTarget()
    {
        Directory.CreateDirectory(Path.Combine(EvilDir, "bin"));
        var script = $"#!/bin/sh\necho executed > {EvilMarker}\n";
        foreach (var f in new[] { "bin/switch-to-configuration", "activate" })
        {
            var p = Path.Combine(EvilDir, f);
            File.WriteAllText(p, script);
            File.SetUnixFileMode(p, (UnixFileMode)0b111_101_101);
        }
    }

    private static string Expression()
    {
        var systems = string.Join("\n", Systems.Select(s => $"  \"{s.Key}\" = system \"{s.Key}\" {s.Value};"));
        var homes = string.Join("\n", HomeGenerations.Select(h => $"  \"{h}\" = home \"{h}\";"));
        var services = string.Join("\n", ServiceSeeds.Select(s =>
            $"  \"{s.Key}\" = mk \"{s.Key}\" {{ script = \"/bin/mkdir -p $out/.sower/systemd/system" + string.Concat(s.Value.Select(u => $" && echo Description={s.Key} > $out/.sower/systemd/system/{u}")) + "\"; };"));
        var cached = string.Join("\n", CachedAttributes.Select(c => $"  \"{c}\" = mk \"{c}\" {{ script = \"/bin/mkdir -p $out && echo {c} > $out/content\"; }};"));
        return $$"""
            { nonce, records, evil }:
            let
              mk = name: attrs: derivation ({
                name = "sower-t-${nonce}-${name}";
                inherit nonce;
                system = builtins.currentSystem;
                builder = "/bin/sh";
                args = [ "-c" attrs.script ];
              } // attrs);
              slowPart = name: if name == "sys-slow" then "/bin/sleep 60 & echo $! > ${records}/${name}.bgpid; /bin/sleep 60\n" else "";
              system = name: code: mk name {
                stc = "#!/bin/sh\nexport PATH=/usr/bin:/bin:$PATH\necho \"$1 uid=$(id -u)\" >> ${records}/${name}\necho \"switch-to-configuration $1\"\necho \"a line on stderr\" >&2\n${slowPart name}exit ${toString code}\n";
                script = "/bin/mkdir -p $out/bin $out/kernel-modules && echo kernel > $out/kernel && echo initrd > $out/initrd && echo 24.05.test > $out/nixos-version && printf '%s' \"$stc\" > $out/bin/switch-to-configuration && /bin/chmod 755 $out/bin/switch-to-configuration";
              };
              home = name: mk name {
                act = "#!/bin/sh\nf=${records}/${name}\n{ echo \"path=$PATH\"; echo \"home=$HOME\"; echo \"user=$USER\"; echo \"logname=$LOGNAME\"; echo \"xdg=$XDG_RUNTIME_DIR\"; echo \"pwd=$(pwd)\"; export PATH=/usr/bin:/bin; echo \"uid=$(id -u)\"; echo \"gid=$(id -g)\"; echo \"groups=$(id -G)\"; echo \"envnames=$(env | cut -d= -f1 | sort | tr '\\n' ' ')\"; } > $f\necho \"activating as $(id -un)\"\n";
                script = "/bin/mkdir -p $out && printf '%s' \"$act\" > $out/activate && /bin/chmod 755 $out/activate";
              };
            in {
            {{cached}}
            {{systems}}
            {{homes}}
            {{services}}
              "evil" = mk "evil" { script = "/bin/ln -s ${evil} $out"; };
            }
            """;
    }

    [GeneratedRegex(@"^/nix/store/[0-9a-z]{32}-sower-t-[0-9a-f]+-(.+)$")]
    private static partial Regex NameOf();
}
