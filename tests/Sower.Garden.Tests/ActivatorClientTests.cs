using Akka.Actor;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

public sealed class ActivatorClientTests(ITestOutputHelper output) : GardenTestKit(output)
{
    /// <summary>A stand-in activator for pipe mode: reads one request line and answers with frames for its id.</summary>
    private string PipeActivator(int exitCode)
    {
        var script = Dir.Write("fake-activator", $$"""
            #!/bin/sh
            read -r line
            echo "$line" > "{{Dir.File("pipe-request.json")}}"
            id=$(printf '%s' "$line" | sed -E 's/.*"id":"([^"]*)".*/\1/')
            printf '{"id":"%s","type":"output","data":"2026-01-01T00:00:00Z realising"}\n' "$id"
            printf '{"id":"%s","type":"complete","exit_code":{{exitCode}}}\n' "$id"
            """);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        return script;
    }

    [Fact]
    public void A_user_garden_acting_for_itself_spawns_the_activator_in_pipe_mode()
    {
        var routing = new ActivatorRouting(Dir.File("no.sock"), PipeActivator(0), "alice", isRoot: false, TimeSpan.FromSeconds(5));
        var client = Sys.ActorOf(ActivatorClientActor.Props(routing));
        client.Tell(new ActivatorCommands.Run(ActivatorRequest.HomeManager("act_1", "/nix/store/00000000000000000000000000000000-hm", "alice"), TestActor, TimeSpan.FromSeconds(10)));
        var frame = ExpectMsg<ActivatorCommands.Output>(TimeSpan.FromSeconds(10));
        Assert.Equal("2026-01-01T00:00:00Z realising", frame.Frame.Data);
        Assert.Equal(new ActivatorCommands.Finished("act_1", 0, null), ExpectMsg<ActivatorCommands.Finished>());
        Assert.Contains("\"user\":\"alice\"", File.ReadAllText(Dir.File("pipe-request.json")));
    }

    [Fact]
    public void Routing_follows_the_transport_rules()
    {
        var socket = Activator.SocketPath;
        Assert.IsType<PipeActivatorTransport>(new ActivatorRouting(socket, "sower-activator", "alice", false, TimeSpan.FromSeconds(1)).Choose(ActivatorRequest.Stage("a", "/nix/store/x", "g")));
        Assert.IsType<UnixSocketActivatorTransport>(new ActivatorRouting(socket, "sower-activator", "alice", false, TimeSpan.FromSeconds(1)).Choose(ActivatorRequest.HomeManager("a", "/nix/store/x", "bob")));
        Assert.IsType<UnixSocketActivatorTransport>(new ActivatorRouting(socket, "sower-activator", "sower-garden", false, TimeSpan.FromSeconds(1)).Choose(ActivatorRequest.Stage("a", "/nix/store/x", "g")));
        var sudo = new ActivatorRouting(Dir.File("none.sock"), "sower-activator", "sower-garden", false, TimeSpan.FromSeconds(1)).Choose(ActivatorRequest.NixOS("a", "/nix/store/x", "switch"));
        Assert.Equal("pipe sudo -n sower-activator", sudo.Describe);
    }

    [Fact]
    public void A_missing_executable_and_a_dead_socket_end_with_a_finished_saying_why()
    {
        var missing = Sys.ActorOf(ActivatorClientActor.Props(new ActivatorRouting(Dir.File("no.sock"), Dir.File("nope"), "alice", false, TimeSpan.FromSeconds(1))));
        missing.Tell(new ActivatorCommands.Run(ActivatorRequest.Stage("act_2", "/nix/store/x", "g"), TestActor, TimeSpan.FromSeconds(5)));
        Assert.Equal(ActivatorClientActor.MissingExecutable, ExpectMsg<ActivatorCommands.Finished>(TimeSpan.FromSeconds(10)).Error);

        var deadSocket = Dir.Write("dead.sock", ""); // a file nobody listens on
        var dead = Sys.ActorOf(ActivatorClientActor.Props(new ActivatorRouting(deadSocket, "sower-activator", "root", true, TimeSpan.FromSeconds(1))));
        dead.Tell(new ActivatorCommands.Run(ActivatorRequest.NixOS("act_3", "/nix/store/x", "switch"), TestActor, TimeSpan.FromSeconds(5)));
        Assert.StartsWith("activator transport error", ExpectMsg<ActivatorCommands.Finished>(TimeSpan.FromSeconds(10)).Error);
    }
}
