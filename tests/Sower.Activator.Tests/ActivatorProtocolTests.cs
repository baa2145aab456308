using System.Text;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

public class ActivatorProtocolTests
{
    private const string Path1 = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web01-24.05";
    private const string Path2 = "/nix/store/abcdfghijklmnpqrsvwxyz0123456789-unit-bundle";

    public static TheoryData<ActivatorRequest> Requests() =>
    [
        ActivatorRequest.Stage("r1", Path1, "web"),
        ActivatorRequest.NixOS("r2", Path1, NixosModes.DryActivate),
        ActivatorRequest.HomeManager("r3", Path1, "alice"),
        ActivatorRequest.SetProfile("r4", Path1, "pins"),
        ActivatorRequest.Services("r5", [new ServiceSeed("a", Path1), new ServiceSeed("b", Path2)]),
        ActivatorRequest.Reboot("r6", "kernel_changed"),
        new ActivatorRequest("r7", "nixos") { Path = Path1, Mode = "switch", Reason = "deployment \"d1\"\nnext line ✓ \u0000" },
    ];

    [Theory]
    [MemberData(nameof(Requests))]
    public void Every_request_survives_a_round_trip_through_its_wire_line(ActivatorRequest request)
    {
        var line = ActivatorProtocol.SerializeRequestLine(request);
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1]);
        var parsed = ActivatorProtocol.ParseRequest(line.AsSpan(0, line.Length - 1));
        Assert.Null(parsed.Error);
        Assert.Equal(request, parsed.Request);
    }

    [Fact]
    public void Requests_use_the_reference_field_names_and_omit_absent_fields()
    {
        Assert.Equal("""{"id":"r1","type":"stage","path":"/nix/store/x","gcroot":"web"}""",
            ActivatorProtocol.SerializeRequest(ActivatorRequest.Stage("r1", "/nix/store/x", "web")));
        Assert.Equal("""{"id":"r5","type":"services","seeds":[{"name":"a","path":"/p"}]}""",
            ActivatorProtocol.SerializeRequest(ActivatorRequest.Services("r5", [new ServiceSeed("a", "/p")])));
    }

    [Fact]
    public void Frames_omit_empty_data_and_carry_exit_code_only_when_complete()
    {
        Assert.Equal("""{"id":"a","type":"output","data":"x"}""", ActivatorProtocol.SerializeFrame(ActivatorFrame.Output("a", "x")));
        Assert.Equal("""{"id":"a","type":"error"}""", ActivatorProtocol.SerializeFrame(ActivatorFrame.Error("a", "")));
        Assert.Equal("""{"id":"","type":"complete","exit_code":124}""", ActivatorProtocol.SerializeFrame(ActivatorFrame.Complete("", 124)));
    }

    [Theory]
    [InlineData("output", "hello", null)]
    [InlineData("error", "2026-01-01T00:00:00.000Z [activator] x=\"y\"", null)]
    [InlineData("complete", null, 0)]
    [InlineData("complete", null, 137)]
    public void Frames_survive_a_round_trip(string type, string? data, int? exit)
    {
        var frame = new ActivatorFrame("id-1", type, data, exit);
        Assert.Equal(frame, ActivatorProtocol.ParseFrame(ActivatorProtocol.SerializeFrame(frame), out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("""{"id":"a","type":"complete"}""")]
    [InlineData("""{"id":"a","type":"output","exit_code":0}""")]
    [InlineData("""{"id":"a","type":"progress"}""")]
    [InlineData("""{"type":"output"}""")]
    [InlineData("""{"id":"a","id":"b","type":"output"}""")]
    [InlineData("not json")]
    public void Malformed_frames_are_rejected_by_the_client_parser(string line)
    {
        Assert.Null(ActivatorProtocol.ParseFrame(line, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("", "empty request")]
    [InlineData("   \t", "empty request")]
    [InlineData("\r", "empty request")]
    [InlineData("nonsense", "invalid JSON")]
    [InlineData("[1,2]", "invalid JSON")]
    [InlineData("\"stage\"", "invalid JSON")]
    [InlineData("""{"id":"a","type":"stage",}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":"stage"} // c""", "invalid JSON")]
    [InlineData("""{"id":1,"type":"stage"}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":["stage"]}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":"stage","path":true}""", "invalid JSON")]
    [InlineData("""{"id":"a","id":"b","type":"stage"}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":"services","seeds":{"name":"x"}}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":"services","seeds":[{"name":"x","name":"y"}]}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":"services","seeds":["x"]}""", "invalid JSON")]
    [InlineData("""{"id":"a","type":"services","seeds":[{"name":{"a":{"b":1}}}]}""", "invalid JSON")]
    public void Unparseable_requests_get_the_exact_reference_text(string line, string error)
    {
        var result = ActivatorProtocol.ParseRequest(line);
        Assert.Null(result.Request);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public void Invalid_utf8_and_raw_control_characters_are_invalid_JSON()
    {
        Assert.Equal("invalid JSON", ActivatorProtocol.ParseRequest([(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}']).Error);
        Assert.Equal("invalid JSON", ActivatorProtocol.ParseRequest(Encoding.UTF8.GetBytes("{\"id\":\"a\0b\",\"type\":\"stage\"}")).Error);
        Assert.Equal("invalid JSON", ActivatorProtocol.ParseRequest("""{"id":"\ud800","type":"stage"}""").Error);
        // Found by the fuzz test: invalid UTF-8 in the value of an ignored key must not slip through.
        Assert.Equal("invalid JSON", ActivatorProtocol.ParseRequest([.. Encoding.UTF8.GetBytes("{\"id\":\"a\",\"type\":\"reboot\",\"x\":\""), 0xff, (byte)'"', (byte)'}']).Error);
    }

    [Fact]
    public void Null_fields_mean_absent_and_unknown_keys_are_ignored()
    {
        var result = ActivatorProtocol.ParseRequest("""{"id":"a","type":"reboot","path":null,"seeds":null,"future":{"x":[1]}}""");
        Assert.Equal(new ActivatorRequest("a", "reboot"), result.Request);
    }
}
