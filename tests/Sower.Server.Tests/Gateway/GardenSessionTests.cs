using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Sower.Actors.Server;
using Sower.Messages.Domain;
using Sower.Server.Tests.Support;
using static Sower.Messages.Gardens.GardenQueries;

namespace Sower.Server.Tests.Gateway;

/// <summary>A join is answered once the garden's session is recorded, so nothing the garden sends next can be ordered
/// before it (the garden was once listed online, with its new version, but without the time it came online).</summary>
public sealed class GardenSessionTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task A_join_is_answered_only_after_the_garden_entity_has_recorded_the_session()
    {
        var gardens = server.Services.GetRequiredService<IRequiredActor<GardenRegion>>().ActorRef;
        for (var i = 0; i < 5; i++)
        {
            await using var garden = await TestGarden.EnrollAndConnect(server, "session-" + i);
            var found = await gardens.Ask<GardenFound>(new GetGarden(new GardenId(garden.Sid)), TimeSpan.FromSeconds(10));
            Assert.NotNull(found.Garden);
            Assert.True(found.Garden.Online, "the entity knows the connection as soon as the join is answered");
            Assert.NotNull(found.Garden.OnlineAt);
        }
    }

    [Fact]
    public async Task A_second_join_on_the_same_connection_is_accepted_and_keeps_the_session()
    {
        await using var garden = await TestGarden.EnrollAndConnect(server, "session-rejoin");
        var gardens = server.Services.GetRequiredService<IRequiredActor<GardenRegion>>().ActorRef;
        var first = (await gardens.Ask<GardenFound>(new GetGarden(new GardenId(garden.Sid)), TimeSpan.FromSeconds(10))).Garden!.OnlineAt;
        await garden.Join();
        var second = (await gardens.Ask<GardenFound>(new GetGarden(new GardenId(garden.Sid)), TimeSpan.FromSeconds(10))).Garden!;
        Assert.True(second.Online);
        Assert.Equal(first, second.OnlineAt);
    }
}
