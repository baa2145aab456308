using Akka.Actor;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Xunit.Abstractions;
using Sower.Messages.Gateway;

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

    public static TheoryData<string, bool, bool, string, string?, string> RoutingTable => new()
    {
        // garden user, root?, socket exists?, request, for user (stage hint), transport
        { "alice", false, true, "hm:alice", null, "pipe sower-activator" },
        { "alice", false, true, "stage", "alice", "pipe sower-activator" },
        { "alice", false, false, "hm:alice", null, "pipe sower-activator" },
        { "alice", false, true, "hm:bob", null, "socket" },
        { "alice", false, true, "stage", "bob", "socket" },
        { "alice", false, true, "stage", null, "socket" },
        { "alice", false, true, "nixos", null, "socket" },
        { "alice", false, false, "nixos", null, "pipe sudo -n sower-activator" },
        { "alice", false, false, "stage", null, "pipe sudo -n sower-activator" },
        { "alice", false, false, "hm:bob", null, "pipe sudo -n sower-activator" },
        // The account name does not matter: a system garden under any name follows the same rules.
        { "sower-garden", false, true, "stage", null, "socket" },
        { "sower-garden", false, true, "hm:sower-garden", null, "pipe sower-activator" },
        { "sower-e2e", false, true, "nixos", null, "socket" },
        { "sower-e2e", false, false, "reboot", null, "pipe sudo -n sower-activator" },
        { "root", true, true, "nixos", null, "socket" },
        { "root", true, false, "nixos", null, "pipe sower-activator" },
        { "root", true, true, "hm:bob", null, "socket" },
        { "root", true, true, "hm:root", null, "socket" }, // the root garden is the system garden: its normal path is the socket
        { "root", true, false, "hm:root", null, "pipe sower-activator" },
        { "root", true, false, "services", null, "pipe sower-activator" },
    };

    [Theory]
    [MemberData(nameof(RoutingTable))]
    public void Routing_is_decided_by_what_the_request_is_for(string gardenUser, bool isRoot, bool socketExists, string kind, string? forUser, string expected)
    {
        var socket = socketExists ? Activator.SocketPath : Dir.File("none.sock");
        ActivatorRequest request = kind switch
        {
            "stage" => ActivatorRequest.Stage("a", "/nix/store/x", "g"),
            "nixos" => ActivatorRequest.NixOS("a", "/nix/store/x", "switch"),
            "reboot" => ActivatorRequest.Reboot("a", "kernel_changed"),
            "services" => ActivatorRequest.Services("a", [new ServiceSeed("s", "/nix/store/x")]),
            _ => ActivatorRequest.HomeManager("a", "/nix/store/x", kind["hm:".Length..]),
        };
        var transport = new ActivatorRouting(socket, "sower-activator", gardenUser, isRoot, TimeSpan.FromSeconds(1)).Choose(request, forUser);
        Assert.Equal(expected == "socket" ? $"socket {socket}" : expected, transport.Describe);
    }

    [Fact]
    public void A_user_garden_stages_and_activates_its_own_home_manager_seed_in_pipe_mode_without_the_socket()
    {
        var requests = Dir.File("pipe-requests");
        var script = Dir.Write("pipe-activator", $$"""
            #!/bin/sh
            read -r line
            echo "$line" >> "{{requests}}"
            id=$(printf '%s' "$line" | sed -E 's/.*"id":"([^"]*)".*/\1/')
            printf '{"id":"%s","type":"complete","exit_code":0}\n' "$id"
            """);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        var hm = new Sower.Messages.Domain.SubscriptionSpec("home", "home", Sower.Messages.Domain.SeedType.HomeManager, [], null, "Etc/UTC", Sower.Messages.Domain.Policy.Default);
        StartHost(Config(hm) with { UserName = "alice", ActivatorCommand = script }, isRoot: false);
        AwaitConnectedAndSynced();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson("dply_aaaaaaaaaaaaaaaaaaaaaaa1", "manual", "home", type: "home-manager",
            artifact: "/nix/store/22222222222222222222222222222222-home-manager-generation"));
        Assert.Equal("success", (string?)AwaitResult("dply_aaaaaaaaaaaaaaaaaaaaaaa1")["result"]);
        var lines = File.ReadAllLines(requests);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"type\":\"stage\"", lines[0]);
        Assert.Contains("\"user\":\"alice\"", lines[1]);
        Assert.Empty(Activator.Requests); // the socket exists, but work for the garden's own user never needs it
    }

    [Fact]
    public void A_missing_executable_and_a_dead_socket_end_with_a_finished_saying_why()
    {
        var missing = Sys.ActorOf(ActivatorClientActor.Props(new ActivatorRouting(Dir.File("no.sock"), Dir.File("nope"), "alice", false, TimeSpan.FromSeconds(1))));
        missing.Tell(new ActivatorCommands.Run(ActivatorRequest.Stage("act_2", "/nix/store/x", "g"), TestActor, TimeSpan.FromSeconds(5), ForUser: "alice"));
        Assert.Equal(ActivatorClientActor.MissingExecutable, ExpectMsg<ActivatorCommands.Finished>(TimeSpan.FromSeconds(10)).Error);

        var deadSocket = Dir.Write("dead.sock", ""); // a file nobody listens on
        var dead = Sys.ActorOf(ActivatorClientActor.Props(new ActivatorRouting(deadSocket, "sower-activator", "root", true, TimeSpan.FromSeconds(1))));
        dead.Tell(new ActivatorCommands.Run(ActivatorRequest.NixOS("act_3", "/nix/store/x", "switch"), TestActor, TimeSpan.FromSeconds(5)));
        Assert.StartsWith("activator transport error", ExpectMsg<ActivatorCommands.Finished>(TimeSpan.FromSeconds(10)).Error);
    }
}
