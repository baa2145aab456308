using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sower.Actors.Hosting;
using Sower.Actors.Tests.Persistence.Sqlite;
using Sower.Testing;

namespace Sower.Actors.Tests.Persistence;

/// <summary>
/// On the server's SQLite journal (WithSowerPersistence, the production set-up) a read never waits for the file's write
/// lock: while another connection holds a write transaction open, an entity still recovers and a read model's query still
/// answers. With the plugin's default isolation both opened <c>BEGIN IMMEDIATE</c> and waited for the writer (issue 17).
/// </summary>
public sealed class SqliteReadsBesideWriterTests : IAsyncLifetime
{
    // Far below the 30 s a read used to wait for the lock before it failed.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TestDatabase _database = TestDatabases.CreateSqlite();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("reads-beside-writer", (akka, _) => akka.WithSowerPersistence(_database.Settings));
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task An_entity_recovers_and_a_query_answers_while_another_connection_holds_the_write_lock()
    {
        var system = _host.Services.GetRequiredService<ActorSystem>();
        var writer = system.ActorOf(RecordingActor.Props("reader-probe"));
        await writer.Ask<RecordingActor.Appended>(new RecordingActor.Append(["one", "two", "three"]), Timeout);
        await writer.GracefulStop(Timeout);

        await using var holder = new SqliteConnection(_database.ConnectionString);
        await holder.OpenAsync();
        await using var held = (SqliteTransaction)await holder.BeginTransactionAsync(); // BEGIN IMMEDIATE: the write lock
        await using (var insert = holder.CreateCommand())
        {
            insert.Transaction = held;
            insert.CommandText = "CREATE TABLE lock_holder (x INTEGER)";
            await insert.ExecuteNonQueryAsync();
        }

        var recovered = system.ActorOf(RecordingActor.Props("reader-probe"));
        var events = await recovered.Ask<RecordingActor.Events>(new RecordingActor.GetEvents(), Timeout);
        Assert.Equal(["one", "two", "three"], events.All);

        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var queried = await journal.CurrentEventsByPersistenceId("reader-probe", 0, long.MaxValue)
            .Select(e => e.Event)
            .RunWith(Sink.Seq<object>(), system.Materializer())
            .WaitAsync(Timeout);
        Assert.Equal(["one", "two", "three"], queried);

        // The lock was held all along: the reads did not wait for it.
        await held.RollbackAsync();
    }
}
