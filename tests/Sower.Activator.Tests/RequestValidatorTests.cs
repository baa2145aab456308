using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

public class RequestValidatorTests
{
    private const string P = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x";

    public static TheoryData<ActivatorRequest, string?> Cases() => new()
    {
        { new ActivatorRequest("", "stage") { Path = P, Gcroot = "g" }, "missing request ID" },
        { new ActivatorRequest("a", "rm -rf") , "invalid type: rm -rf" },
        { new ActivatorRequest("a", "") , "invalid type: " },
        { new ActivatorRequest("a", "NIXOS") { Path = P, Mode = "switch" }, "invalid type: NIXOS" },
        { ActivatorRequest.Stage("a", "/etc/passwd", "g"), "path must be in /nix/store" },
        { ActivatorRequest.Stage("a", "nix/store/0123456789abcdfghijklmnpqrsvwxyz-x", "g"), "path must be in /nix/store" },
        { ActivatorRequest.Stage("a", "/nix/store/../etc", "g"), "invalid path" },
        { ActivatorRequest.Stage("a", P + "/", "g"), "invalid path" },
        { ActivatorRequest.Stage("a", P + "/bin", "g"), "invalid path" },
        { ActivatorRequest.Stage("a", "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-.x", "g"), "invalid path" },
        { ActivatorRequest.Stage("a", "/nix/store/0123456789abcdfghijklmnpqrsvwxyE-x", "g"), "invalid path" },
        { new ActivatorRequest("a", "stage") { Gcroot = "g" }, "path must be in /nix/store" },
        { ActivatorRequest.Stage("a", P, "../etc"), "invalid name: ../etc" },
        { ActivatorRequest.Stage("a", P, ".hidden"), "invalid name: .hidden" },
        { ActivatorRequest.Stage("a", P, "a/b"), "invalid name: a/b" },
        { ActivatorRequest.Stage("a", P, new string('g', 101)), "invalid name: " + new string('g', 101) },
        { new ActivatorRequest("a", "stage") { Path = P }, "invalid name: " },
        { ActivatorRequest.Stage("a", P, new string('g', 100)), null },
        { ActivatorRequest.Stage("a", P, "web-01_x.y"), null },
        { ActivatorRequest.NixOS("a", P, "switch; reboot"), "invalid mode: switch; reboot" },
        { new ActivatorRequest("a", "nixos") { Path = P }, "invalid mode: " },
        { ActivatorRequest.NixOS("a", P, "dry-activate"), null },
        { ActivatorRequest.HomeManager("a", P, ""), "unknown user: " },
        { ActivatorRequest.HomeManager("a", P, "alice"), null },
        { ActivatorRequest.SetProfile("a", P, "a b"), "invalid name: a b" },
        { ActivatorRequest.SetProfile("a", P, "pins"), null },
        { new ActivatorRequest("a", "services"), "services request requires at least one seed" },
        { ActivatorRequest.Services("a", []), "services request requires at least one seed" },
        { ActivatorRequest.Services("a", [new ServiceSeed("", P)]), "seed name must not be empty" },
        { ActivatorRequest.Services("a", [new ServiceSeed("s", P), new ServiceSeed("t", "/tmp/x")]), "path must be in /nix/store" },
        { ActivatorRequest.Services("a", [new ServiceSeed("s", P)]), null },
        { ActivatorRequest.Reboot("a", "kernel_changed"), null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Requests_are_checked_with_the_exact_reference_texts(ActivatorRequest request, string? expected) =>
        Assert.Equal(expected, ActivatorRequestValidator.Validate(request));

    [Fact]
    public void Hostile_values_are_echoed_only_in_bounded_form()
    {
        var error = ActivatorRequestValidator.Validate(new ActivatorRequest("a", new string('x', 60_000)));
        Assert.StartsWith("invalid type: xxx", error);
        Assert.True(error!.Length < 200);
    }
}
