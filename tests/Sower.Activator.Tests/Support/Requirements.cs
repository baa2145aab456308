namespace Sower.Activator.Tests.Support;

/// <summary>Tests that need root or a tool fail with what to install — they never skip silently.</summary>
public static class Requirements
{
    public static void Root()
    {
        if (Sower.Activator.Native.geteuid() != 0)
        {
            throw new InvalidOperationException("this test needs root (useradd, setpriv, socket mode): run ./test.sh as root");
        }
    }

    public static void Tool(string name, string package)
    {
        if (!Shell.OnPath(name)) throw new InvalidOperationException($"this test needs `{name}`: apt-get install -y {package}");
    }

    public static void Nix()
    {
        Root();
        Tool("nix-build", "nix-bin");
        Tool("nix-store", "nix-bin");
        Tool("nix-env", "nix-bin");
    }
}
