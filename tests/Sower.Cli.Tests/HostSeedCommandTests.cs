using System.Diagnostics;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>
/// `sower seed download|upgrade` as a real process against the real test server and the real Nix store: seeds are
/// input-addressed paths built with nix-build (so signature checks apply), signed into a file:// binary cache, deleted
/// locally and realised back using only the substituters and keys configured on the client.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class HostSeedCommandTests(TestServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result.Trim(), stderr.Result.Trim());
    }

    private static string Ok(string program, params string[] args)
    {
        var (exit, stdout, stderr) = Run(program, args);
        Assert.True(exit == 0, $"{program} {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }

    /// <summary>An input-addressed home-manager-looking seed (hm-version, and an activate script), built offline.</summary>
    private string BuildHomeManagerSeed(string activateScript)
    {
        var nonce = Guid.NewGuid().ToString("N");
        var expr = Path.Combine(_dir, $"seed-{nonce}.nix");
        File.WriteAllText(expr, $$"""
            derivation {
              name = "home-manager-generation-{{nonce[..12]}}";
              system = builtins.currentSystem;
              builder = "/bin/sh";
              nonce = "{{nonce}}";
              activate = ''{{activateScript}}'';
              args = [ "-c" "/bin/mkdir $out && echo 24.05 > $out/hm-version && printf '%s' \"$activate\" > $out/activate && /bin/chmod 555 $out/activate" ];
            }
            """);
        return Ok("nix-build", expr, "--no-out-link", "--option", "sandbox", "false", "--option", "substituters", "");
    }

    /// <summary>Signs the path with a fresh key, copies it into a file:// cache and returns (cache URL, public key).</summary>
    private (string Cache, string PublicKey) SignedCache(string path)
    {
        var sk = Path.Combine(_dir, "sk");
        var pk = Path.Combine(_dir, "pk");
        Ok("nix-store", "--generate-binary-cache-key", "sower-test-1", sk, pk);
        Ok("nix", "--extra-experimental-features", "nix-command", "store", "sign", "--key-file", sk, path);
        var cache = "file://" + Path.Combine(_dir, "cache");
        Ok("nix", "--extra-experimental-features", "nix-command", "copy", "--to", cache, path);
        return (cache, File.ReadAllText(pk).Trim());
    }

    private string Submit(string path, string name)
    {
        var submit = Sow.Run(server, "seed", "submit", path, "--name", name, "--type", "home-manager", "--no-git", "--json");
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        return submit.Stdout;
    }

    [Fact]
    public void Download_realises_an_absent_seed_only_from_locally_configured_substituters_with_a_trusted_key()
    {
        var name = "hm-dl-" + Guid.NewGuid().ToString("N")[..8];
        var path = BuildHomeManagerSeed("#!/bin/sh\nexit 0\n");
        var (cache, publicKey) = SignedCache(path);
        Submit(path, name);
        Ok("nix-store", "--delete", path);
        Assert.False(Directory.Exists(path));

        // A key that did not sign the path: Nix refuses the substitute, the CLI says so in one line, nothing appears.
        Ok("nix-store", "--generate-binary-cache-key", "someone-else-1", Path.Combine(_dir, "sk2"), Path.Combine(_dir, "pk2"));
        var wrong = Sow.Run(server, "seed", "download", "--name", name, "--type", "home-manager",
            "--substituter", cache, "--trusted-public-key", File.ReadAllText(Path.Combine(_dir, "pk2")).Trim());
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith($"error: cannot realise {path} with the locally configured substituters and keys: ", Sow.SingleError(wrong));
        Assert.False(Directory.Exists(path));

        // No local trusted key for it at all (nix.conf's keys only): refused as well.
        var unkeyed = Sow.Run(server, "seed", "download", "--name", name, "--type", "home-manager", "--substituter", cache);
        Assert.Equal(1, unkeyed.ExitCode);
        Sow.SingleError(unkeyed);
        Assert.False(Directory.Exists(path));

        // The right key from the client config (substituters / trusted_public_keys) realises it again.
        var config = Path.Combine(_dir, "client.json");
        File.WriteAllText(config, new JsonObject
        {
            ["substituters"] = new JsonArray(cache),
            ["trusted_public_keys"] = new JsonArray(publicKey),
        }.ToJsonString());
        var ok = Sow.Run(server, "seed", "download", "--name", name, "--type", "home-manager", "-c", config, "--json");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var json = SowerProcess.JsonLine(ok);
        Assert.Equal(path, (string?)json["seed"]!["artifact"]);
        Assert.True((bool)json["realised"]!);
        Assert.True(File.Exists(Path.Combine(path, "hm-version")));
    }

    [Fact]
    public void Upgrade_runs_the_home_manager_activate_script_as_the_invoking_user()
    {
        var name = "hm-up-" + Guid.NewGuid().ToString("N")[..8];
        var record = Path.Combine(_dir, "ran");
        var path = BuildHomeManagerSeed($"#!/bin/sh\n/usr/bin/id -u > {record}\necho \"args:$*\" >> {record}\n");
        Submit(path, name);

        var dry = Sow.Run(server, "seed", "upgrade", "--name", name, "--type", "home-manager");
        Assert.Equal(0, dry.ExitCode);
        Assert.StartsWith("would activate home-manager seed ", dry.Stdout);
        Assert.False(File.Exists(record));

        var upgrade = Sow.Run(server, "seed", "upgrade", "--name", name, "--type", "home-manager", "--yes");
        Assert.True(upgrade.ExitCode == 0, upgrade.Stderr);
        var uid = Ok("id", "-u");
        Assert.Equal($"{uid}\nargs:\n", File.ReadAllText(record));
    }

    [Fact]
    public void Upgrade_of_a_missing_seed_or_one_without_activate_fails_with_one_error()
    {
        var missing = Sow.Run(server, "seed", "upgrade", "--name", "hm-none-" + Guid.NewGuid().ToString("N")[..8], "--type", "home-manager", "--yes");
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("no home-manager seed named hm-none-", Sow.SingleError(missing));

        var name = "hm-bad-" + Guid.NewGuid().ToString("N")[..8];
        var dir = Path.Combine(_dir, "home-manager-generation");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "hm-version"), Guid.NewGuid().ToString());
        var path = Ok("nix-store", "--add", dir);
        Submit(path, name);
        var noActivate = Sow.Run(server, "seed", "upgrade", "--name", name, "--type", "home-manager", "--yes");
        Assert.Equal(1, noActivate.ExitCode);
        Assert.Equal($"error: {path}/activate does not exist", Sow.SingleError(noActivate));
    }
}
