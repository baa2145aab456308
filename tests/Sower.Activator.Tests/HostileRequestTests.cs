using System.Collections.Concurrent;
using CsCheck;
using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>
/// The fuzz/property proof: malformed and hostile requests (path traversal, symlinks out of the store, huge lines, bad
/// JSON, wrong types, NUL bytes, injection in every field) are all refused — nothing is executed, every one ends with
/// exactly one complete frame with a non-zero exit, and the activator never crashes. The bulk runs in-process against
/// the request core with a runner that records any execution attempt; a smaller batch goes through the real binary.
/// </summary>
public class HostileRequestTests
{
    private const uint AllowedGid = 4242;

    private static HostileRequests Generator(NixStore nix) =>
        new(nix.StorePathOf("evil"), [nix.StorePathOf("hm-root"), nix.StorePathOf("stage-ok")], [nix.StorePathOf("sys-base"), nix.StorePathOf("stage-ok")]);

    [Fact]
    public void A_hundred_thousand_hostile_requests_are_refused_in_process_without_executing_anything()
    {
        var nix = NixStore.Instance;
        var generator = Generator(nix);
        var runner = new ForbiddingRunner();
        var settings = InProcess.Settings(new ActivatorConfig { RequestReadTimeoutSeconds = 10, RebootDelaySeconds = 0 }, new HashSet<uint> { AllowedGid });
        var pipeline = InProcess.Pipeline(runner, settings, InProcess.Root);
        var categories = new ConcurrentDictionary<string, int>();
        var errors = new ConcurrentDictionary<string, int>();

        Gen.Int.Sample(seed =>
        {
            var hostile = generator.Next(new Random(seed));
            categories.AddOrUpdate(hostile.Category, 1, (_, n) => n + 1);
            // Some arrive over a "socket" from an authorized non-root peer (supplementary group), the rest through a pipe.
            var connection = (seed & 3) == 0 ? Connection.Socket(new ActivatorPeerCredentials(1, 1000, 1000, [1000, AllowedGid])) : Connection.Pipe;
            var (code, frames) = InProcess.Send(pipeline, [.. hostile.Line, (byte)'\n'], connection).GetAwaiter().GetResult();
            var complete = FrameAssert.SingleComplete(frames);
            Assert.Equal(code, complete);
            Assert.NotEqual(0, code);
            var error = frames.LastOrDefault(f => f.Type == ActivatorFrameTypes.Error)?.Data ?? "(none)";
            errors.AddOrUpdate(error.Length > 40 ? error[..40] : error, 1, (_, n) => n + 1);
            Assert.True(runner.Count == 0, "executed: " + string.Join(" | ", runner.Attempts));
        }, iter: 100_000, print: seed => generator.Next(new Random(seed)).ToString());

        Assert.Equal(0, runner.Count);
        Assert.False(File.Exists(nix.EvilMarker));
        Assert.Equal(100_000, categories.Values.Sum());
        // Every attack family was exercised in volume, and refused for the reason meant, not by accident.
        foreach (var family in new[] { "random-bytes", "huge-line", "wrong-json-type", "duplicate-key", "truncated", "raw-control-byte", "missing-id",
                     "bad-type", "stage-path", "stage-gcroot", "nixos-path", "nixos-mode", "nixos-not-a-system", "hm-path", "hm-user", "hm-not-a-generation",
                     "profile-path", "profile-name", "services-seeds", "reboot-id", "deep-nesting", "not-an-object" })
        {
            Assert.True(categories.GetValueOrDefault(family) >= 300, $"{family}: only {categories.GetValueOrDefault(family)} cases");
        }
        foreach (var reason in new[] { "invalid JSON", "empty request", "missing request ID", "invalid path", "path must be in /nix/store", "request too large (limit 64 KiB)" })
        {
            Assert.True(errors.GetValueOrDefault(reason) > 0, $"no case was refused with '{reason}': " + string.Join(", ", errors.Select(e => $"{e.Key}={e.Value}")));
        }
        Assert.Contains(errors.Keys, k => k.StartsWith("invalid name: ", StringComparison.Ordinal));
        Assert.Contains(errors.Keys, k => k.StartsWith("invalid mode: ", StringComparison.Ordinal));
        Assert.Contains(errors.Keys, k => k.StartsWith("unknown user: ", StringComparison.Ordinal));
        Assert.Contains(errors.Keys, k => k.StartsWith("invalid type: ", StringComparison.Ordinal));
        Assert.Contains(errors.Keys, k => k.StartsWith("not a NixOS system: ", StringComparison.Ordinal));
        Assert.Contains(errors.Keys, k => k.StartsWith("not a Home-Manager generation: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Hundreds_of_hostile_requests_through_the_real_socket_are_refused_and_the_process_survives()
    {
        var nix = NixStore.Instance;
        var generator = Generator(nix);
        var dir = TestArea.NewDir("fuzz-socket");
        var marker = Path.Combine(dir, "EXECUTED");
        var config = TestArea.WriteConfig(dir, new Dictionary<string, object>
        {
            ["gcroots_dir"] = Path.Combine(dir, "gcroots"),
            ["system_profile"] = Path.Combine(dir, "profiles", "system"),
            ["profiles_dir"] = Path.Combine(dir, "profiles", "sower"),
            ["services_state_dir"] = Path.Combine(dir, "services"),
            ["reboot_command"] = new[] { "/bin/sh", "-c", $"echo executed > {marker}" },
            ["reboot_delay_seconds"] = 0,
            ["request_read_timeout_seconds"] = 5,
        });
        using var server = ActivatorProcess.Server.Bound(Path.Combine(dir, "a.sock"), "--config", config);
        var random = new Random(20261128);
        for (var i = 0; i < 400; i++)
        {
            var hostile = generator.Next(random);
            var lines = TestClient.Exchange(server.SocketPath, [.. hostile.Line, (byte)'\n'], TimeSpan.FromSeconds(20));
            var frames = FrameAssert.Parse(lines);
            Assert.True(frames.Count > 0 && FrameAssert.SingleComplete(frames) != 0, $"{hostile}\n{FrameAssert.Text(frames)}");
        }
        Assert.False(server.HasExited, server.Stderr);
        Assert.False(File.Exists(marker));
        Assert.False(File.Exists(nix.EvilMarker));
        foreach (var untouched in new[] { "gcroots", "profiles", "services" }) Assert.False(Path.Exists(Path.Combine(dir, untouched)));
        Assert.DoesNotContain("Internal error", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", server.Stderr, StringComparison.Ordinal);
        // And it still serves a valid request afterwards.
        var ok = FrameAssert.Parse(TestClient.Exchange(server.SocketPath, ActivatorProtocol.SerializeRequestLine(ActivatorRequest.Reboot("after", "fuzz")), TimeSpan.FromSeconds(20)));
        Assert.Equal(0, FrameAssert.SingleComplete(ok));
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public void Hostile_requests_in_pipe_mode_end_the_process_cleanly_with_one_complete_frame()
    {
        var nix = NixStore.Instance;
        var generator = Generator(nix);
        var random = new Random(7);
        var cases = Enumerable.Range(0, 16).Select(_ => generator.Next(random)).ToList();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, hostile =>
        {
            var result = ActivatorProcess.RunPipe([.. hostile.Line, (byte)'\n'], "--config", "/dev/null/none-needed".Length > 0 ? DefaultsConfig.Value : "");
            var frames = FrameAssert.Parse(result.Stdout);
            Assert.True(frames.Count > 0 && FrameAssert.SingleComplete(frames) == 1, $"{hostile}\n{result.Stdout}\n{result.Stderr}");
            Assert.Equal(1, result.ExitCode);
            Assert.DoesNotContain("Unhandled", result.Stderr, StringComparison.Ordinal);
        });
    }

    private static readonly Lazy<string> DefaultsConfig = new(() => TestArea.WriteConfig(TestArea.NewDir("fuzz-pipe"), new Dictionary<string, object>()));
}
