using System.Data.Common;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Sower.Actors.Hosting;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Testing;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Tests.Persistence;

/// <summary>The token store on the real SQL journal, started with the production extension methods
/// (WithSowerPersistence + WithSowerCluster + WithAccessTokens), stopped, and started again on the same database.
/// Runs once per provider through the subclasses below.</summary>
public abstract class AccessTokensPersistenceTests(DatabaseProvider provider) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabases.CreateAsync(provider);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private async Task<IHost> StartAsync(int snapshotEvery = 100)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, _) => akka
            .WithSowerPersistence(_database.Settings)
            .WithSowerCluster(new ClusterSettings())
            .WithAccessTokens(new AccessTokensSettings(snapshotEvery)));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<T> Ask<T>(IHost host, ITokenMessage message)
    {
        var store = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<AccessTokensActorKey>();
        var reply = await store.Ask<object>(message, Timeout);
        return Assert.IsType<T>(reply);
    }

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    [Fact]
    public async Task Token_store_recovers_everything_after_the_actor_system_restarts_on_the_same_database()
    {
        var first = await StartAsync();
        var admin = await Ask<AccessTokenIssued>(first, BootstrapAdminToken.Instance);
        var kept = await Ask<AccessTokenIssued>(first, new CreateAccessToken("kept", [Roles.SeedRead], null, Actor.Server, ByServer: true));
        var rotated = await Ask<AccessTokenIssued>(first, new CreateAccessToken("rotated", [Roles.SeedWrite], null, Actor.Server, ByServer: true));
        var rotatedAgain = await Ask<AccessTokenIssued>(first, new RegenerateAccessToken(rotated.TokenId, null, Actor.Server, ByServer: true));
        var revoked = await Ask<AccessTokenIssued>(first, new CreateAccessToken("revoked", [Roles.GardenRead], null, Actor.Server, ByServer: true));
        await Ask<AccessTokenRevocationConfirmed>(first, new RevokeAccessToken(revoked.TokenId, Actor.Server, ByServer: true));
        var before = await Ask<AccessTokenList>(first, new GetAccessTokens(Actor.Server, ByServer: true));
        await StopAsync(first);

        var second = await StartAsync();
        try
        {
            Assert.Equal(admin.TokenId, (await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(admin.Plaintext))).Token?.Sid);
            Assert.Equal(kept.TokenId, (await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(kept.Plaintext))).Token?.Sid);
            Assert.Null((await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(rotated.Plaintext))).Token);
            Assert.Equal(rotated.TokenId, (await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(rotatedAgain.Plaintext))).Token?.Sid);
            Assert.Null((await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(revoked.Plaintext))).Token);

            var after = await Ask<AccessTokenList>(second, new GetAccessTokens(Actor.Server, ByServer: true));
            Assert.Equal(before.Tokens.Select(Describe), after.Tokens.Select(Describe));
            await Ask<AdminTokenAlreadyBootstrapped>(second, BootstrapAdminToken.Instance);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task Token_store_recovers_from_a_snapshot_plus_the_events_after_it()
    {
        var first = await StartAsync(snapshotEvery: 3);
        var issued = new List<AccessTokenIssued>();
        for (var i = 0; i < 7; i++)
            issued.Add(await Ask<AccessTokenIssued>(first, new CreateAccessToken($"token {i}", [Roles.SeedRead], null, Actor.Server, ByServer: true)));
        await StopAsync(first);

        // Snapshots at sequence numbers 3 and 6, the older one pruned; event 7 only in the journal.
        Assert.Equal(1L, await CountSnapshotsAsync());

        var second = await StartAsync(snapshotEvery: 3);
        try
        {
            foreach (var token in issued)
                Assert.Equal(token.TokenId, (await Ask<AccessTokenAuthenticated>(second, new AuthenticateAccessToken(token.Plaintext))).Token?.Sid);
            Assert.Equal(7, (await Ask<AccessTokenList>(second, new GetAccessTokens(Actor.Server, ByServer: true))).Tokens.Length);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    private async Task<long> CountSnapshotsAsync()
    {
        await using DbConnection connection = provider == DatabaseProvider.PostgreSql
            ? new NpgsqlConnection(_database.ConnectionString)
            : new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{AccessTokensActor.Id}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static string Describe(AccessTokenInfo t) =>
        $"{t.Sid} {t.Description} {string.Join(",", t.Roles)} {t.ExpiresOn} {t.OwnerSid} {t.GardenId} {t.CreatedAt} {t.SecretIssuedAt}";
}

public sealed class SqliteAccessTokensPersistenceTests() : AccessTokensPersistenceTests(DatabaseProvider.Sqlite);

public sealed class PostgresAccessTokensPersistenceTests() : AccessTokensPersistenceTests(DatabaseProvider.PostgreSql);
