namespace Sower.Nix.Tests;

public sealed class NixpkgsLibTests
{
    [Fact]
    public void The_vendored_nixpkgs_lib_is_found_for_offline_module_evaluation()
    {
        Assert.True(File.Exists(System.IO.Path.Combine(NixpkgsLib.Path, "lib", "modules.nix")));
    }
}
