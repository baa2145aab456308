using System.Collections.Immutable;
using Akka.Actor;
using Sower.Actors.Garden;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>
/// <c>--exit-when-replaced LINK</c>: a switch never restarts the garden (it may be driving it); once a switch has repointed
/// LINK at another package, the garden exits cleanly when no deployment runs, so Restart=always starts the new version.
/// </summary>
public sealed class PackageReplacementTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private string Package(string name)
    {
        var path = Dir.File(name);
        Directory.CreateDirectory(path);
        return path;
    }

    private string Link(string target)
    {
        var link = Dir.File("garden-package");
        File.Delete(link); // File.Delete removes the link, never its target
        File.CreateSymbolicLink(link, target);
        return link;
    }

    [Fact]
    public void A_link_still_naming_the_running_package_is_no_replacement_and_a_repointed_one_is()
    {
        var first = Package("pkg-1");
        var watch = new PackageReplacement(Link(first));
        Assert.Equal(first, watch.TargetAtStart);
        Assert.Null(watch.Check());

        var second = Package("pkg-2");
        Link(second);
        Assert.Contains(second, watch.Check());
    }

    [Fact]
    public void A_missing_link_never_makes_the_garden_exit()
    {
        var watch = new PackageReplacement(Dir.File("no-such-link"));
        Assert.Null(watch.TargetAtStart);
        Assert.Null(watch.Check());

        var link = Link(Package("pkg-1"));
        var watching = new PackageReplacement(link);
        File.Delete(link);
        Assert.Null(watching.Check());
    }

    [Fact]
    public void A_replaced_package_waits_for_the_running_deployment_and_then_asks_the_host_to_exit()
    {
        var replaced = false;
        var config = Config(Nixos());
        Sys.EventStream.Subscribe(TestActor, typeof(GardenDaemonEvents.PackageReplaced));
        var host = Sys.ActorOf(GardenHostActor.Props(new GardenHostSettings(config, Gateway, Store, Clock, "9.9.9",
            () => new Sower.Messages.GardenDaemon.ConfigLoadResult(config, []), IsRoot: true,
            PackageReplaced: () => replaced ? "the link now points at pkg-2" : null)), "garden");
        AwaitConnectedAndSynced();

        // A deployment runs (the one performing the switch), the switch repoints the link and reloads the unit.
        Sys.EventStream.Publish(new GardenDaemonEvents.DeployerActivity(["dply_aaaaaaaaaaaaaaaaaaaaaaa1"]));
        AwaitCondition(() => host.Ask<GardenStatus>(new GardenDaemonCommands.GetStatus(), TimeSpan.FromSeconds(3)).Result.ActiveDeployments.Length == 1, TimeSpan.FromSeconds(5));
        replaced = true;
        host.Tell(new GardenDaemonCommands.RequestReload("SIGHUP"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // Its result is in the outbox: now the garden makes way for the new package, exactly once.
        Sys.EventStream.Publish(new GardenDaemonEvents.DeployerActivity(ImmutableArray<string>.Empty));
        Assert.Contains("pkg-2", ExpectMsg<GardenDaemonEvents.PackageReplaced>(TimeSpan.FromSeconds(5)).Reason);
        host.Tell(new GardenDaemonCommands.RequestReload("SIGHUP"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void The_real_garden_reloads_while_its_package_stays_and_exits_0_once_a_switch_has_replaced_it()
    {
        var link = Link(Package("pkg-1"));
        var config = Dir.Write("client.json", $$"""
            {"endpoint":"http://127.0.0.1:9","access_token":"enroll","state_directory":"{{Dir.File("state")}}",
             "admin_socket":"{{Dir.File("run/admin.sock")}}","activator_socket":"{{Dir.File("act.sock")}}"}
            """);
        using var garden = new GardenProcess(config, null, null, "--exit-when-replaced", link);
        garden.WaitForLine("sower-garden", TimeSpan.FromSeconds(30));
        garden.WaitForLine("Watching", TimeSpan.FromSeconds(30));

        garden.Signal(GardenProcess.SIGHUP);
        garden.WaitForLine("configuration re-read", TimeSpan.FromSeconds(10));
        Assert.False(garden.Process.HasExited);

        Link(Package("pkg-2"));
        garden.Signal(GardenProcess.SIGHUP);
        Assert.Equal(0, garden.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(garden.Lines, l => l.Contains("Package replaced", StringComparison.Ordinal) && l.Contains("pkg-2", StringComparison.Ordinal));
    }
}
