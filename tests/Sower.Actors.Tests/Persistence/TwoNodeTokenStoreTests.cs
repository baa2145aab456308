using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Cluster = Akka.Cluster.Cluster;
using MemberStatus = Akka.Cluster.MemberStatus;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sower.Actors.Hosting;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Testing;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Tests.Persistence;

/// <summary>Two cluster nodes on one PostgreSQL database, the second joining the first through cluster.seed_nodes,
/// with strict serialization as in production: the token store is one singleton, reachable from both nodes, and
/// every message that crosses between them goes through the token serializer.</summary>
public sealed class TwoNodeTokenStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabases.CreatePostgresAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private async Task<IHost> StartNodeAsync(ClusterSettings cluster)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, _) => akka
            .WithSowerPersistence(_database.Settings)
            .WithSowerCluster(cluster)
            .WithAccessTokens()
            .WithStrictSerialization());
        var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var deadline = DateTime.UtcNow + Timeout;
        while (Cluster.Get(system).SelfMember.Status != MemberStatus.Up)
        {
            Assert.True(DateTime.UtcNow < deadline, "the node did not become Up");
            await Task.Delay(50);
        }
        return host;
    }

    private static async Task<T> Ask<T>(IHost node, ITokenMessage message)
    {
        var store = await node.Services.GetRequiredService<ActorRegistry>().GetAsync<AccessTokensActorKey>();
        return Assert.IsType<T>(await store.Ask<object>(message, Timeout));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_second_node_joins_through_seed_nodes_and_uses_the_one_token_store()
    {
        var port = FreePort();
        var first = await StartNodeAsync(new ClusterSettings { Port = port });
        var second = await StartNodeAsync(new ClusterSettings { SeedNodes = [$"akka.tcp://sower@127.0.0.1:{port}"] });
        try
        {
            Assert.Equal(2, Cluster.Get(second.Services.GetRequiredService<ActorSystem>()).State.Members.Count);

            var issued = await Ask<AccessTokenIssued>(second, new CreateAccessToken("from node 2", [Roles.SeedRead], null, Actor.Server, ByServer: true));
            Assert.Equal(issued.TokenId, (await Ask<AccessTokenAuthenticated>(first, new AuthenticateAccessToken(issued.Plaintext))).Token?.Sid);
            Assert.Equal(issued.TokenId, (await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(issued.Plaintext))).Token?.Sid);
            Assert.Single((await Ask<AccessTokenList>(second, new GetAccessTokens(Actor.Server, ByServer: true))).Tokens);

            await Ask<AccessTokenRevocationConfirmed>(second, new RevokeAccessToken(issued.TokenId, Actor.Server, ByServer: true));
            Assert.Null((await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(issued.Plaintext))).Token);
            Assert.Equal(AccessTokenErrorCodes.NotFound,
                (await Ask<AccessTokenError>(second, new RevokeAccessToken(issued.TokenId, Actor.Server, ByServer: true))).Code);
        }
        finally
        {
            await second.StopAsync();
            second.Dispose();
            await first.StopAsync();
            first.Dispose();
        }
    }
}
