using System.CommandLine;
using System.Text.Json.Nodes;
using Sower.Cli.Infrastructure;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Cli.Commands;

/// <summary>
/// <c>sower seed download|upgrade|reboot</c> on a managed host (REFERENCE §8): fetch the latest seed with only the
/// locally configured substituters and keys, activate it the way the activator does, and the §5.12 reboot check.
/// </summary>
public static class HostCommands
{
    public const string SystemProfile = "/nix/var/nix/profiles/system";
    public const string BootedSystem = "/run/booted-system";
    public const string CurrentSystem = "/run/current-system";

    /// <summary>
    /// The locally configured substituters and keys for a download: repeatable <c>--substituter</c> and
    /// <c>--trusted-public-key</c>, else the client.json keys <c>substituters</c> and <c>trusted_public_keys</c> (a list or a
    /// space-separated string). When given, they replace nix.conf's <c>substituters</c> / <c>trusted-public-keys</c> for this
    /// realisation; when absent, nix.conf applies. The server's caches are never among them without --trust-server-caches.
    /// </summary>
    private sealed class LocalSubstituters
    {
        public Option<string[]> Substituters { get; } = new("--substituter")
        {
            Description = "A Nix substituter URL to download from (repeatable; config substituters; default: nix.conf)",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };

        public Option<string[]> Keys { get; } = new("--trusted-public-key")
        {
            Description = "A public key (name:base64) whose signatures are trusted (repeatable; config trusted_public_keys; default: nix.conf)",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Substituters);
            command.Options.Add(Keys);
        }

        public IEnumerable<string> NixOptions(ParseResult result, JsonObject config)
        {
            foreach (var (option, key, nixName) in new[] { (Substituters, "substituters", "substituters"), (Keys, "trusted_public_keys", "trusted-public-keys") })
            {
                var values = result.GetValue(option) is { Length: > 0 } flags ? flags : ConfigList(config, key);
                if (values.Length == 0) continue;
                yield return "--option";
                yield return nixName;
                yield return string.Join(' ', values);
            }
        }

        private static string[] ConfigList(JsonObject config, string key) => config[key] switch
        {
            null => [],
            JsonValue v when v.TryGetValue<string>(out var s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            JsonArray a when a.All(e => e is JsonValue ev && ev.TryGetValue<string>(out _)) => [.. a.Select(e => (string)e!)],
            _ => throw new CliFailure(ExitCodes.Usage, $"the config key {key} must be a list of strings or a space-separated string"),
        };
    }

    private static string DefaultName(CliIo io) => GardenConfigLoader.DefaultName(ConfigEnvironment.FromProcess() with { Variable = io.Env });

    public static Command Download(CliIo io)
    {
        var connection = new ConnectionOptions();
        var name = SeedCliCommands.NameOption(false);
        var type = SeedCliCommands.TypeOption(false);
        var initrd = new Option<bool>("--initrd") { Description = "Realise into the /sysroot store (from an initrd)" };
        var trust = new Option<bool>("--trust-server-caches") { Description = "Also use the server's Nix caches and their keys (never as root without this flag)" };
        var json = SeedCliCommands.JsonOption();
        var local = new LocalSubstituters();
        var command = new Command("download", "Fetch the latest seed of this host into the local Nix store") { name, type, initrd, trust, json };
        connection.AddTo(command);
        local.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var (seed, _) = await Fetch(io, connection, local, result, name, type, trust, initrd);
            if (result.GetValue(json)) Output.Json(io, new JsonObject { ["seed"] = Output.Pick(seed, SeedCliCommands.SeedFields), ["realised"] = true });
            else io.Out.WriteLine($"downloaded {Output.Str(seed, "sid")}: {Output.Str(seed, "artifact")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Latest seed for (name, type), realised locally. Name defaults to the garden name, type to nixos.</summary>
    private static async Task<(JsonNode Seed, SeedType Type)> Fetch(CliIo io, ConnectionOptions connection, LocalSubstituters local, ParseResult result, Option<string?> name,
        Option<string?> type, Option<bool> trust, Option<bool>? initrd)
    {
        var seedType = result.GetValue(type) is { } t ? SeedCliCommands.ParseType(t) : SeedType.NixOS;
        var seedName = result.GetValue(name) ?? DefaultName(io);
        using var api = new ApiClient(connection.Resolve(result, io));
        var seed = await api.Get($"/seeds/latest?name={Uri.EscapeDataString(seedName)}&seed_type={seedType.ToWire()}", "seed:read",
            () => $"no {seedType.ToWire()} seed named {seedName}");
        var artifact = Output.Str(seed, "artifact") ?? "";
        if (StorePath.Validate(artifact) is { } invalid) throw new CliFailure(ExitCodes.Failure, $"the server returned an invalid artifact: {invalid}");
        var sysroot = initrd is not null && result.GetValue(initrd);
        if (!sysroot && Directory.Exists(artifact)) return (seed, seedType);
        var args = new List<string> { "--realise", artifact };
        if (sysroot) args.InsertRange(0, ["--store", "/sysroot"]);
        args.AddRange(local.NixOptions(result, connection.ReadConfig(result, io)));
        if (result.GetValue(trust))
        {
            foreach (var cache in (await api.Get("/nix/caches", "nix-cache:read")).AsArray())
            {
                args.AddRange(["--option", "extra-substituters", Output.Str(cache, "url") ?? ""]);
                args.AddRange(["--option", "extra-trusted-public-keys", Output.Str(cache, "public_key") ?? ""]);
            }
        }
        var run = ProcessRunner.Run("nix-store", args, timeout: TimeSpan.FromHours(1))
                  ?? throw new CliFailure(ExitCodes.Failure, "nix-store is not installed; cannot download the seed");
        if (run.ExitCode != 0)
        {
            var last = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? $"exit code {run.ExitCode}";
            if (last.StartsWith("error: ", StringComparison.Ordinal)) last = last["error: ".Length..];
            // Nix only warns about the untrusted signature and then reports a bare "build failed": name the real cause.
            if (run.Stderr.Contains("is not signed by any of the keys in 'trusted-public-keys'", StringComparison.Ordinal))
            {
                last = "its substitute is not signed by any locally trusted public key";
            }
            throw new CliFailure(ExitCodes.Failure, $"cannot realise {artifact} with the locally configured substituters and keys: {last}");
        }
        return (seed, seedType);
    }

    public static Command Upgrade(CliIo io)
    {
        var connection = new ConnectionOptions();
        var name = SeedCliCommands.NameOption(false);
        var type = SeedCliCommands.TypeOption(false);
        var mode = new Option<string>("--mode", "-m") { Description = "NixOS activation mode: switch, boot, test or dry-activate", DefaultValueFactory = _ => "switch" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Really activate (without it the command only says what it would do)" };
        var trust = new Option<bool>("--trust-server-caches") { Description = "Also use the server's Nix caches" };
        var activator = new Option<string>("--activator") { Description = "The activator program (pipe mode)", DefaultValueFactory = _ => "sower-activator" };
        var local = new LocalSubstituters();
        var command = new Command("upgrade", "Download the latest seed and activate it exactly as the activator does") { name, type, mode, yes, trust, activator };
        connection.AddTo(command);
        local.AddTo(command);
        command.SetAsyncAction(io, async (result, _) =>
        {
            var m = result.GetValue(mode)!;
            if (m is not ("switch" or "boot" or "test" or "dry-activate")) throw new CliFailure(ExitCodes.Usage, $"invalid mode: {m}");
            var (seed, seedType) = await Fetch(io, connection, local, result, name, type, trust, null);
            var artifact = Output.Str(seed, "artifact")!;
            if (!result.GetValue(yes))
            {
                io.Out.WriteLine($"would activate {seedType.ToWire()} seed {Output.Str(seed, "sid")} ({artifact}){(seedType == SeedType.NixOS ? $" with mode {m}" : "")}; run again with --yes");
                return ExitCodes.Ok;
            }
            switch (seedType)
            {
                case SeedType.NixOS:
                    if (!ProcessIdentity.IsRoot) throw new CliFailure(ExitCodes.Failure, "upgrading a nixos seed requires root");
                    var request = new JsonObject { ["id"] = $"cli-{Environment.ProcessId}", ["type"] = "nixos", ["path"] = artifact, ["mode"] = m };
                    var run = ProcessRunner.Run(result.GetValue(activator)!, [], timeout: TimeSpan.FromHours(1), stdin: request.ToJsonString() + "\n")
                              ?? throw new CliFailure(ExitCodes.Failure, $"missing activator executable {result.GetValue(activator)}");
                    var exit = 1;
                    foreach (var line in run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        JsonNode? frame;
                        try { frame = JsonNode.Parse(line); } catch (System.Text.Json.JsonException) { continue; }
                        switch (Output.Str(frame, "type"))
                        {
                            case "output": io.Out.WriteLine(Output.Str(frame, "data")); break;
                            case "error": io.Err.WriteLine(Output.Str(frame, "data")); break;
                            case "complete": exit = Output.Int(frame, "exit_code"); break;
                        }
                    }
                    if (exit != 0) throw new CliFailure(ExitCodes.Failure, $"activation failed with exit code {exit}");
                    io.Out.WriteLine(RebootCheck(SystemProfile, BootedSystem, CurrentSystem).Message);
                    return ExitCodes.Ok;
                case SeedType.HomeManager:
                    var activate = Path.Combine(artifact, "activate");
                    if (!File.Exists(activate)) throw new CliFailure(ExitCodes.Failure, $"{activate} does not exist");
                    var hm = ProcessRunner.Run(activate, [], timeout: TimeSpan.FromMinutes(30))!;
                    io.Out.Write(hm.Stdout);
                    io.Err.Write(hm.Stderr);
                    return hm.ExitCode == 0 ? ExitCodes.Ok : throw new CliFailure(ExitCodes.Failure, $"home-manager activation failed with exit code {hm.ExitCode}");
                default:
                    throw new CliFailure(ExitCodes.Failure, $"upgrade supports nixos and home-manager seeds, not {seedType.ToWire()}");
            }
        });
        return command;
    }

    public sealed record RebootDecision(bool Required, string? Reason, string Message);

    /// <summary>REFERENCE §5.12 steps 2–5: compare kernel, initrd and kernel-modules of the profile system and the booted one.</summary>
    public static RebootDecision RebootCheck(string profile, string booted, string current)
    {
        string Resolve(string path)
        {
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (target is null || (!File.Exists(target) && !Directory.Exists(target))) throw new IOException($"cannot resolve {path}");
            return target;
        }

        string? Component(string system, string name)
        {
            var path = Path.Combine(system, name);
            return File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null ? Resolve(path) : null;
        }

        try
        {
            var n = Resolve(profile);
            var b = Resolve(booted);
            foreach (var (component, reason) in new[] { ("kernel", "kernel_changed"), ("initrd", "initrd_changed"), ("kernel-modules", "modules_changed") })
            {
                if (Component(n, component) != Component(b, component)) return new RebootDecision(true, reason, $"reboot required: {reason}");
            }
            var c = Directory.Exists(current) ? Resolve(current) : null;
            return new RebootDecision(false, null, c != n ? "no reboot required; switching live" : "no reboot required");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new RebootDecision(false, null, $"reboot check failed: {e.Message}");
        }
    }

    public static Command Reboot(CliIo io)
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Schedule the reboot (systemctl reboot in 5 s, unit sower-client-reboot); without it only report" };
        var profile = new Option<string>("--system-profile") { DefaultValueFactory = _ => SystemProfile, Hidden = true };
        var booted = new Option<string>("--booted-system") { DefaultValueFactory = _ => BootedSystem, Hidden = true };
        var current = new Option<string>("--current-system") { DefaultValueFactory = _ => CurrentSystem, Hidden = true };
        var json = SeedCliCommands.JsonOption();
        var command = new Command("reboot", "Check whether the system profile needs a reboot (kernel, initrd, modules) and optionally reboot")
        {
            yes, profile, booted, current, json,
        };
        command.SetAsyncAction(io, (result, _) =>
        {
            var decision = RebootCheck(result.GetValue(profile)!, result.GetValue(booted)!, result.GetValue(current)!);
            if (result.GetValue(json)) Output.Json(io, new JsonObject { ["reboot_required"] = decision.Required, ["reason"] = decision.Reason, ["message"] = decision.Message });
            else io.Out.WriteLine(decision.Message);
            if (decision.Message.StartsWith("reboot check failed", StringComparison.Ordinal)) return Task.FromResult(ExitCodes.Failure);
            if (!decision.Required || !result.GetValue(yes)) return Task.FromResult(ExitCodes.Ok);
            var run = ProcessRunner.Run("systemd-run", ["--unit", "sower-client-reboot", "--on-active=5", "systemctl", "reboot"])
                      ?? throw new CliFailure(ExitCodes.Failure, "systemd-run is not installed; cannot schedule the reboot");
            if (run.ExitCode != 0) throw new CliFailure(ExitCodes.Failure, $"scheduling the reboot failed: {run.Stderr.Trim()}");
            io.Out.WriteLine("reboot scheduled in 5 s (unit sower-client-reboot)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
