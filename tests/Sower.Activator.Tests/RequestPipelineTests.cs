using System.IO.Pipes;
using System.Text;
using System.Text.RegularExpressions;
using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>The request core driven in-process with streams: refusals, authorization, log tee, disconnects, timeouts.</summary>
public class RequestPipelineTests
{
    private const string P = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x";
    private static readonly ActivatorProcessIdentity Nobody = new(65534, "nobody");

    private static ActivatorConfig FastReboot => new() { RebootDelaySeconds = 0, RequestReadTimeoutSeconds = 2 };

    [Fact]
    public async Task Every_request_is_logged_to_the_client_with_a_timestamp_and_its_key_fields()
    {
        var runner = new ScriptedRunner();
        var journal = new StringWriter();
        var (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, InProcess.Settings(FastReboot), journal: journal),
            new ActivatorRequest("r1", "reboot") { Mode = "x", Reason = "kernel_changed" });
        Assert.Equal(0, FrameAssert.SingleComplete(frames));
        Assert.Equal(0, code);
        var received = frames.First(f => f.Data?.Contains("Received request", StringComparison.Ordinal) == true);
        Assert.Equal("output", received.Type);
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[activator\] Received request id=r1 type=reboot path= mode=x reason=kernel_changed$"), received.Data);
        Assert.Contains("Received request id=r1 type=reboot", journal.ToString(), StringComparison.Ordinal);
        Assert.All(frames, f => Assert.Equal("r1", f.Id));
    }

    [Fact]
    public async Task Child_output_becomes_timestamped_output_and_error_frames()
    {
        var runner = new ScriptedRunner();
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(runner, InProcess.Settings(FastReboot with { RebootCommand = ["/bin/true"] })), ActivatorRequest.Reboot("r", "x"));
        Assert.Contains(frames, f => f.Type == "output" && Regex.IsMatch(f.Data!, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ran /bin/true$"));
    }

    [Theory]
    [InlineData("", "empty request", "")]
    [InlineData("{\"id\":\"x\"", "invalid JSON", "")]
    [InlineData("""{"id":"","type":"reboot"}""", "missing request ID", "")]
    [InlineData("""{"id":"q","type":"format-disk"}""", "invalid type: format-disk", "q")]
    [InlineData("""{"id":"q","type":"nixos","path":"/etc","mode":"switch"}""", "path must be in /nix/store", "q")]
    [InlineData("""{"id":"q","type":"home-manager","path":"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x","user":"no-such-user-sower"}""", "unknown user: no-such-user-sower", "q")]
    [InlineData("""{"id":"q","type":"home-manager","path":"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x","user":"root\u0000"}""", "unknown user: root\u0000", "q")]
    public async Task Refusals_end_with_an_error_frame_and_exactly_one_complete(string line, string error, string id)
    {
        var runner = new ForbiddingRunner();
        var (code, frames) = await InProcess.Send(InProcess.Pipeline(runner), line);
        FrameAssert.Refused(frames, error, id);
        Assert.Equal(1, code);
        Assert.Equal(0, runner.Count);
    }

    [Fact]
    public async Task A_nixos_path_without_switch_to_configuration_is_refused_before_anything_runs()
    {
        var runner = new ForbiddingRunner();
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(runner), ActivatorRequest.NixOS("n", P, "switch"));
        FrameAssert.Refused(frames, $"not a NixOS system: {P}/bin/switch-to-configuration does not exist", "n");
        Assert.Equal(0, runner.Count);
    }

    [Theory]
    [InlineData("nixos")]
    [InlineData("profile")]
    [InlineData("services")]
    [InlineData("reboot")]
    public async Task Pipe_mode_without_root_refuses_system_changes(string type)
    {
        var request = new ActivatorRequest("p", type) { Path = P, Mode = "test", Profile = "pins", Seeds = [new ServiceSeed("s", P)] };
        var runner = new ForbiddingRunner();
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(runner, self: Nobody), request);
        FrameAssert.Refused(frames, "root required", "p");
        Assert.Equal(0, runner.Count);
    }

    [Fact]
    public async Task Pipe_mode_without_root_activates_home_manager_only_for_the_caller()
    {
        var runner = new ForbiddingRunner();
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(runner, self: Nobody), ActivatorRequest.HomeManager("h", P, "root"));
        FrameAssert.Refused(frames, "username mismatch", "h");
        Assert.Equal(0, runner.Count);
    }

    [Fact]
    public async Task Socket_mode_refuses_to_run_without_root()
    {
        var runner = new ForbiddingRunner();
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(runner, self: Nobody), ActivatorRequest.Reboot("r", "x"), Connection.Socket(new ActivatorPeerCredentials(1, 0, 0, [])));
        FrameAssert.Refused(frames, "activator must be run as root in socket mode", "");
    }

    [Fact]
    public async Task A_peer_without_credentials_is_refused()
    {
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(new ForbiddingRunner()), ActivatorRequest.Reboot("r", "x"), Connection.Socket(null));
        FrameAssert.Refused(frames, "failed to get peer credentials", "");
    }

    [Fact]
    public async Task An_unauthorized_peer_learns_nothing_but_unauthorized_and_gets_an_empty_id()
    {
        var runner = new ForbiddingRunner();
        var journal = new StringWriter();
        var settings = InProcess.Settings(FastReboot, allowedGids: new HashSet<uint> { 4242 });
        var (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, settings, journal: journal), ActivatorRequest.Reboot("secret-id", "x"),
            Connection.Socket(new ActivatorPeerCredentials(77, 1000, 1000, [1000, 27])));
        Assert.Equal(1, code);
        Assert.Equal(2, frames.Count);
        FrameAssert.Refused(frames, "unauthorized", "");
        Assert.Equal(0, runner.Count);
        Assert.DoesNotContain("secret-id", journal.ToString(), StringComparison.Ordinal); // never parsed
        Assert.Contains("Refused unauthorized peer pid=77 uid=1000 gid=1000", journal.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 0u, new uint[0])]          // root
    [InlineData(1000u, 4242u, new uint[0])]    // primary group
    [InlineData(1000u, 1000u, new uint[] { 1000, 27, 4242 })] // supplementary group (pitfall 4)
    public async Task Peers_are_authorized_by_uid_0_primary_or_supplementary_group(uint uid, uint gid, uint[] groups)
    {
        var runner = new ScriptedRunner();
        var settings = InProcess.Settings(FastReboot, allowedGids: new HashSet<uint> { 4242 });
        var (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, settings), ActivatorRequest.Reboot("ok", "x"), Connection.Socket(new ActivatorPeerCredentials(1, uid, gid, groups)));
        Assert.Equal(0, code);
        Assert.Equal(0, FrameAssert.SingleComplete(frames));
        Assert.Single(runner.Commands);
    }

    [Fact]
    public async Task A_request_not_delivered_in_time_is_refused()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        pipe.Write("{\"id\":"u8);
        using var output = new MemoryStream();
        var settings = InProcess.Settings(new ActivatorConfig { RequestReadTimeoutSeconds = 0.3 });
        var code = await InProcess.Pipeline(new ForbiddingRunner(), settings).HandleAsync(reader, output, Connection.Pipe);
        Assert.Equal(1, code);
        FrameAssert.Refused(FrameAssert.Parse(Encoding.UTF8.GetString(output.ToArray())), "request not received within 0.3s", "");
    }

    [Fact]
    public async Task A_client_trickling_its_request_gets_one_limit_for_the_whole_line()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    pipe.Write(" "u8);
                    await Task.Delay(50, stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        });
        using var output = new MemoryStream();
        var settings = InProcess.Settings(new ActivatorConfig { RequestReadTimeoutSeconds = 0.5 });
        var handled = InProcess.Pipeline(new ForbiddingRunner(), settings).HandleAsync(reader, output, Connection.Pipe);
        var finished = await Task.WhenAny(handled, Task.Delay(TimeSpan.FromSeconds(20)));
        await stop.CancelAsync();
        await trickle;
        Assert.Same(handled, finished);
        FrameAssert.Refused(FrameAssert.Parse(Encoding.UTF8.GetString(output.ToArray())), "request not received within 0.5s", "");
    }

    [Fact]
    public async Task A_request_over_64_KiB_is_refused_without_being_parsed()
    {
        var big = Encoding.UTF8.GetBytes("{\"id\":\"" + new string('a', 70_000) + "\",\"type\":\"reboot\"}\n");
        var (_, frames) = await InProcess.Send(InProcess.Pipeline(new ForbiddingRunner()), big);
        FrameAssert.Refused(frames, "request too large (limit 64 KiB)", "");
    }

    [Fact]
    public async Task A_request_of_exactly_64_KiB_is_accepted()
    {
        var prefix = "{\"id\":\"r\",\"type\":\"reboot\",\"reason\":\"";
        var line = prefix + new string('x', ActivatorProtocol.MaxRequestBytes - prefix.Length - 2) + "\"}";
        Assert.Equal(ActivatorProtocol.MaxRequestBytes, Encoding.UTF8.GetByteCount(line));
        var (code, _) = await InProcess.Send(InProcess.Pipeline(new ScriptedRunner(), InProcess.Settings(FastReboot)), line);
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task A_client_that_disconnects_does_not_abort_the_activation()
    {
        var runner = new ScriptedRunner();
        var journal = new StringWriter();
        var code = await InProcess.Pipeline(runner, InProcess.Settings(FastReboot), journal: journal)
            .HandleAsync(new MemoryStream(ActivatorProtocol.SerializeRequestLine(ActivatorRequest.Reboot("gone", "x"))), new BrokenStream(), Connection.Pipe);
        Assert.Equal(0, code);
        Assert.Single(runner.Commands);
        Assert.Contains("ran systemctl", journal.ToString(), StringComparison.Ordinal); // output kept in the journal
        Assert.Contains("client_gone=true", journal.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timed_out_command_ends_with_the_timeout_text_and_exit_124()
    {
        var runner = new ScriptedRunner(_ => new CommandResult(137, TimedOut: true));
        var settings = InProcess.Settings(FastReboot, timeout: TimeSpan.FromSeconds(7));
        var (code, frames) = await InProcess.Send(InProcess.Pipeline(runner, settings), ActivatorRequest.Reboot("t", "x"));
        Assert.Equal(124, code);
        Assert.Equal(124, FrameAssert.SingleComplete(frames));
        Assert.Equal("timed out after 7s", frames[^2].Data);
        Assert.Equal("error", frames[^2].Type);
    }

    [Fact]
    public async Task An_unexpected_failure_still_ends_with_complete()
    {
        var (code, frames) = await InProcess.Send(InProcess.Pipeline(new ThrowingRunner(), InProcess.Settings(FastReboot)), ActivatorRequest.Reboot("x", "y"));
        Assert.Equal(1, code);
        Assert.Equal(1, FrameAssert.SingleComplete(frames));
        Assert.Contains(frames, f => f.Type == "error" && f.Data == "internal error: boom");
    }

    [Fact]
    public async Task Log_values_cannot_forge_lines()
    {
        var journal = new StringWriter();
        await InProcess.Send(InProcess.Pipeline(new ScriptedRunner(), InProcess.Settings(FastReboot), journal: journal),
            ActivatorRequest.Reboot("a\nfake [activator] Received request id=evil", "b\r\nc"));
        Assert.DoesNotContain(journal.ToString().Split('\n'), l => l.StartsWith("fake", StringComparison.Ordinal));
        Assert.Contains("id=\"a\\nfake [activator] Received request id=evil\"", journal.ToString(), StringComparison.Ordinal);

        var bounded = new StringWriter();
        await InProcess.Send(InProcess.Pipeline(new ScriptedRunner(), InProcess.Settings(FastReboot), journal: bounded), ActivatorRequest.Reboot(new string('i', 60_000), "r"));
        Assert.All(bounded.ToString().Split('\n'), l => Assert.True(l.Length < 1000, $"log line of {l.Length} characters"));
    }

    [Fact]
    public async Task Realisation_trusts_only_the_operators_substituters_and_keys_never_the_requests()
    {
        var runner = new ScriptedRunner();
        var dir = TestArea.NewDir("trust");
        var config = new ActivatorConfig { GcrootsDir = dir, ExtraSubstituters = ["file:///srv/cache", "https://c.example"], ExtraTrustedPublicKeys = ["op-1:KEY"] };
        var line = $"{{\"id\":\"s\",\"type\":\"stage\",\"path\":\"{P}\",\"gcroot\":\"web\",\"substituters\":\"http://evil\",\"extra_trusted_public_keys\":[\"evil-1:X\"],\"options\":{{\"x\":1}}}}";
        var (code, _) = await InProcess.Send(InProcess.Pipeline(runner, InProcess.Settings(config)), line);
        Assert.Equal(0, code);
        var command = Assert.Single(runner.Commands);
        Assert.Equal("nix-store", command.Program);
        Assert.Equal(["--realise", P, "--add-root", Path.Combine(dir, "web"), "--option", "extra-substituters", "file:///srv/cache https://c.example", "--option", "extra-trusted-public-keys", "op-1:KEY"], command.Arguments);
    }

    private sealed class BrokenStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get; set; }
        public override void Flush() => throw new IOException("Broken pipe");
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("Broken pipe");
    }

    private sealed class ThrowingRunner : ICommandRunner
    {
        public Task<CommandResult> RunAsync(CommandSpec spec, Action<string> stdout, Action<string> stderr, CancellationToken timeout) =>
            throw new InvalidOperationException("boom");
    }
}
