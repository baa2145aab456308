namespace Sower.Activator.Tests.Support;

/// <summary>
/// Real accounts for peer-credential and drop-privilege tests, created once per run and removed at exit:
/// group <see cref="SocketGroup"/> may open the socket file; group <see cref="AllowedGroup"/> is authorized.
/// <see cref="Primary"/> has the allowed group as its primary group, <see cref="Supplementary"/> as a supplementary
/// group, <see cref="Outsider"/> only the socket group.
/// </summary>
public sealed class TestUsers
{
    private static readonly Lazy<TestUsers> Shared = new(() => new TestUsers(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static TestUsers Instance
    {
        get
        {
            Requirements.Root();
            Requirements.Tool("useradd", "passwd");
            Requirements.Tool("runuser", "util-linux");
            return Shared.Value;
        }
    }

    private TestUsers()
    {
        var p = "sa" + TestArea.Nonce[..8];
        SocketGroup = p + "sock";
        AllowedGroup = p + "ok";
        Primary = p + "p";
        Supplementary = p + "s";
        Outsider = p + "n";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove();
        Shell.Run("groupadd", SocketGroup).EnsureSuccess("groupadd");
        Shell.Run("groupadd", AllowedGroup).EnsureSuccess("groupadd");
        Shell.Run("useradd", "-m", "-g", AllowedGroup, "-G", SocketGroup, Primary).EnsureSuccess("useradd primary");
        Shell.Run("useradd", "-m", "-U", "-G", $"{AllowedGroup},{SocketGroup}", Supplementary).EnsureSuccess("useradd supplementary");
        Shell.Run("useradd", "-m", "-U", "-G", SocketGroup, Outsider).EnsureSuccess("useradd outsider");
        SocketGid = SystemAccounts.Instance.FindGroup(SocketGroup)!.Value;
        AllowedGid = SystemAccounts.Instance.FindGroup(AllowedGroup)!.Value;
    }

    public string SocketGroup { get; }
    public string AllowedGroup { get; }
    public uint SocketGid { get; }
    public uint AllowedGid { get; }
    public string Primary { get; }
    public string Supplementary { get; }
    public string Outsider { get; }

    public UserAccount Account(string name) => SystemAccounts.Instance.FindUser(name)!;

    // One detached shell: it finishes even if the test host is torn down right after ProcessExit.
    private void Remove() => Shell.Detach(
        $"userdel -r -f {Primary}; userdel -r -f {Supplementary}; userdel -r -f {Outsider}; groupdel {AllowedGroup}; groupdel {SocketGroup}");
}
