using System.Text;
using Sower.Activator.Tests.Support;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests;

/// <summary>One <c>sower-activator --socket</c> process shared by the peer-credential tests.</summary>
public sealed class BoundActivator : IDisposable
{
    public BoundActivator()
    {
        Users = TestUsers.Instance;
        Dir = TestArea.NewDir("peer");
        Config = TestArea.WriteConfig(Dir, new Dictionary<string, object>
        {
            ["socket_group"] = Users.SocketGroup,
            ["reboot_command"] = new[] { "/bin/echo", "reboot-ran" },
            ["reboot_delay_seconds"] = 0,
        });
        Server = ActivatorProcess.Server.Bound(Path.Combine(Dir, "activator.sock"), "--config", Config, "--allowed-gids", $" {Users.AllowedGid} , 999999 ");
    }

    public TestUsers Users { get; }
    public string Dir { get; }
    public string Config { get; }
    public ActivatorProcess.Server Server { get; }

    public void Dispose() => Server.Dispose();
}

/// <summary>Real users, created by the test, connecting over the real socket (REFERENCE §7.5, pitfall 4).</summary>
public class PeerCredentialTests(BoundActivator activator) : IClassFixture<BoundActivator>
{
    private static string Reboot(string id) => ActivatorProtocol.SerializeRequest(ActivatorRequest.Reboot(id, "peer-test"));

    private List<ActivatorFrame> As(string user, string id)
    {
        var result = ActivatorProcess.ClientAs(user, activator.Server.SocketPath, Reboot(id));
        Assert.True(result.ExitCode == 0, $"client failed: {result.Stderr}\n{activator.Server.Stderr}");
        return FrameAssert.Parse(result.Stdout);
    }

    [Fact]
    public void The_socket_file_is_mode_0660_owned_by_root_and_the_configured_group()
    {
        var status = Native.LStat(activator.Server.SocketPath)!.Value;
        Assert.True(status.IsSocket);
        Assert.Equal(0b110_110_000u, status.Mode & 0x1FF);
        Assert.Equal(0u, status.Uid);
        Assert.Equal(activator.Users.SocketGid, status.Gid);
    }

    [Fact]
    public void A_peer_whose_primary_group_is_allowed_is_served()
    {
        var frames = As(activator.Users.Primary, "primary-1");
        Assert.True(FrameAssert.SingleComplete(frames) == 0, FrameAssert.Text(frames));
        Assert.All(frames, f => Assert.Equal("primary-1", f.Id));
        Assert.Contains(frames, f => f.Type == "output" && f.Data!.EndsWith(" reboot-ran", StringComparison.Ordinal));
    }

    [Fact]
    public void A_peer_allowed_only_through_a_supplementary_group_is_served()
    {
        var account = activator.Users.Account(activator.Users.Supplementary);
        Assert.NotEqual(activator.Users.AllowedGid, account.Gid);
        var frames = As(activator.Users.Supplementary, "supp-1");
        Assert.True(FrameAssert.SingleComplete(frames) == 0, FrameAssert.Text(frames));
        Assert.Contains(frames, f => f.Data!.Contains("Received request id=supp-1 type=reboot", StringComparison.Ordinal));
    }

    [Fact]
    public void A_peer_outside_the_allowed_groups_gets_unauthorized_then_complete_1_with_an_empty_id()
    {
        var frames = As(activator.Users.Outsider, "outsider-1");
        Assert.Equal(2, frames.Count);
        FrameAssert.Refused(frames, "unauthorized", "");
        var uid = activator.Users.Account(activator.Users.Outsider).Uid;
        var journal = activator.Server.WaitForStderr($"Refused unauthorized peer");
        Assert.Contains($"uid={uid}", journal, StringComparison.Ordinal);
        Assert.DoesNotContain("outsider-1", journal, StringComparison.Ordinal); // the request was never parsed
    }

    [Fact]
    public void A_user_outside_the_socket_group_cannot_even_connect()
    {
        var result = ActivatorProcess.ClientAs("nobody", activator.Server.SocketPath, Reboot("nobody-1"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("ermission denied", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_SO_PEERGROUPS_the_peer_users_group_list_gives_the_same_supplementary_groups()
    {
        var account = activator.Users.Account(activator.Users.Supplementary);
        var groups = SystemAccounts.Instance.GroupsOf(account).ToHashSet();
        Assert.Equal(new HashSet<uint> { account.Gid, activator.Users.AllowedGid, activator.Users.SocketGid }, groups);
        Assert.True(Authorization.IsAuthorized(new ActivatorPeerCredentials(1, account.Uid, account.Gid, [.. groups]), new HashSet<uint> { activator.Users.AllowedGid }));
    }

    [Fact]
    public void Root_is_always_authorized()
    {
        var lines = TestClient.Exchange(activator.Server.SocketPath, Encoding.UTF8.GetBytes(Reboot("root-1") + "\n"), TimeSpan.FromSeconds(20));
        Assert.Equal(0, FrameAssert.SingleComplete(FrameAssert.Parse(lines)));
    }
}
