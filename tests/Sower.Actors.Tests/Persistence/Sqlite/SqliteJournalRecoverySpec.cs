using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sower.Actors.Garden;
using Sower.Actors.Persistence.Sqlite;
using static Sower.Messages.GardenDaemon.GardenJournalEvents;

namespace Sower.Actors.Tests.Persistence.Sqlite;

/// <summary>
/// The lean journal under persistent actors, started with the garden's own extensions (WithGardenSerialization +
/// WithGardenPersistence) on real files: restarts, many persistence ids at once, a crash in the middle of a write, and
/// the upgrade of a garden whose garden.db was written by Akka.Persistence.Sql.
/// </summary>
public sealed class SqliteJournalRecoverySpec : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly SqliteSpecDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static async Task<IHost> StartAsync(Action<AkkaConfigurationBuilder> persistence)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("lean-journal", (akka, _) =>
        {
            akka.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend);
            akka.WithGardenSerialization();
            persistence(akka);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private Task<IHost> StartGardenAsync(string? stateDirectory = null) =>
        StartAsync(akka => akka.WithGardenPersistence(stateDirectory ?? _directory.Path));

    /// <summary>Exactly how sower-garden configured Akka.Persistence.Sql before the lean journal.</summary>
    private Task<IHost> StartLegacyGardenAsync() =>
        StartAsync(akka => akka.WithSqlPersistence(
            connectionString: $"Data Source={GardenAkkaHostingExtensions.GardenDatabasePath(_directory.Path)};Pooling=false",
            providerName: ProviderName.SQLiteMS,
            autoInitialize: true));

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    private static IActorRef Recorder(IHost host, string pid) =>
        host.Services.GetRequiredService<ActorSystem>().ActorOf(RecordingActor.Props(pid));

    private static Task<RecordingActor.Events> EventsOf(IActorRef recorder) => recorder.Ask<RecordingActor.Events>(new RecordingActor.GetEvents(), Timeout);

    private static Task<RecordingActor.Appended> AppendAsync(IActorRef recorder, params object[] events) =>
        recorder.Ask<RecordingActor.Appended>(new RecordingActor.Append(events), Timeout);

    [Fact]
    public async Task A_restarted_garden_recovers_every_event_in_order()
    {
        var host = await StartGardenAsync();
        var recorder = Recorder(host, "garden-outbox");
        await AppendAsync(recorder, new OutboxAppended(1, "report", "{}"), new OutboxAppended(2, "report", "{\"b\":2}"));
        await AppendAsync(recorder, new OutboxDelivered(1));
        await StopAsync(host);

        host = await StartGardenAsync();
        var recovered = await EventsOf(Recorder(host, "garden-outbox"));
        Assert.Equal([new OutboxAppended(1, "report", "{}"), new OutboxAppended(2, "report", "{\"b\":2}"), new OutboxDelivered(1)], recovered.All);
        Assert.Equal(3, recovered.LastSequenceNr);
        await StopAsync(host);
    }

    [Fact]
    public async Task Concurrent_persistence_ids_each_keep_their_own_order()
    {
        var host = await StartGardenAsync();
        var ids = Enumerable.Range(0, 8).Select(i => "p-" + i).ToList();
        var recorders = ids.Select(id => Recorder(host, id)).ToList();
        // Interleaved: every actor has a write in flight while the others write.
        var writes = Enumerable.Range(0, 25).SelectMany(round => recorders.Select((r, i) =>
            AppendAsync(r, new OutboxAppended(2 * round + 1, ids[i], "{}"), new OutboxAppended(2 * round + 2, ids[i], "{}")))).ToList();
        await Task.WhenAll(writes);
        await StopAsync(host);

        host = await StartGardenAsync();
        foreach (var id in ids)
        {
            var recovered = await EventsOf(Recorder(host, id));
            Assert.Equal(Enumerable.Range(1, 50).Select(n => new OutboxAppended(n, id, "{}")), recovered.All.Cast<OutboxAppended>());
            Assert.Equal(50, recovered.LastSequenceNr);
        }
        await StopAsync(host);
    }

    [Fact]
    public async Task A_crash_in_the_middle_of_a_write_recovers_the_events_committed_before_it_and_none_of_the_batch()
    {
        var host = await StartGardenAsync();
        var recorder = Recorder(host, "garden-outbox");
        await AppendAsync(recorder, new OutboxDelivered(1), new OutboxDelivered(2), new OutboxDelivered(3));

        // A writer halfway through a large batch: rows inserted, pages spilled to the WAL, no commit. The files as they
        // are on disk at this moment are what a power cut or a SIGKILL leaves behind.
        var crashed = Directory.CreateTempSubdirectory("sower-lean-crash-").FullName;
        try
        {
            var database = GardenAkkaHostingExtensions.GardenDatabasePath(_directory.Path);
            var walBefore = new FileInfo(database + "-wal").Length;
            using (var writer = new SqliteConnection($"Data Source={database};Pooling=false"))
            {
                writer.Open();
                using (var pragma = writer.CreateCommand())
                {
                    pragma.CommandText = "PRAGMA cache_size = 1; PRAGMA busy_timeout = 10000;";
                    pragma.ExecuteNonQuery();
                }
                using var transaction = writer.BeginTransaction(deferred: false);
                using var insert = writer.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO events (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, event_manifest, writer_uuid, payload)
                    VALUES ('garden-outbox', $seq, 0, 1, '', '', '', randomblob(16384))
                    """;
                var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
                for (var n = 4; n < 400; n++)
                {
                    seq.Value = n;
                    insert.ExecuteNonQuery();
                }
                Assert.True(new FileInfo(database + "-wal").Length > walBefore + 1024 * 1024, "the uncommitted batch reached the WAL file");
                File.Copy(database, Path.Combine(crashed, "garden.db"));
                File.Copy(database + "-wal", Path.Combine(crashed, "garden.db-wal"));
                transaction.Rollback();
            }
            await StopAsync(host);

            host = await StartGardenAsync(crashed);
            var after = Recorder(host, "garden-outbox");
            var recovered = await EventsOf(after);
            Assert.Equal([new OutboxDelivered(1), new OutboxDelivered(2), new OutboxDelivered(3)], recovered.All);
            Assert.Equal(3, recovered.LastSequenceNr);
            Assert.Equal(4, (await AppendAsync(after, new OutboxDelivered(4))).LastSequenceNr);
            await StopAsync(host);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Fact]
    public async Task A_garden_upgraded_in_place_keeps_the_journal_written_by_Akka_Persistence_Sql()
    {
        // Today's plugin writes the outbox (partly trimmed, as the ServerLinkActor does), a deployer, and a fully
        // deleted journal whose highest sequence number must survive.
        var legacy = await StartLegacyGardenAsync();
        var outbox = Recorder(legacy, "garden-outbox");
        await AppendAsync(outbox, new OutboxAppended(1, "report", "{}"), new OutboxDelivered(1));
        await AppendAsync(outbox, new OutboxAppended(2, "deployment_update", "{\"x\":1}"));
        await outbox.Ask<DeleteMessagesSuccess>(new RecordingActor.DeleteTo(2), Timeout);
        var deployer = Recorder(legacy, "garden-deployer");
        await AppendAsync(deployer, new DeploymentAccepted("d-1", "{}", 42), new ActivationStarted("s-1", "switch", "alice"));
        var trimmed = Recorder(legacy, "garden-deployment-d-0");
        await AppendAsync(trimmed, new RollbackArmed("s-0"), new DeploymentCompleted("success", "2026-01-01"));
        await trimmed.Ask<DeleteMessagesSuccess>(new RecordingActor.DeleteTo(2), Timeout);
        await StopAsync(legacy);

        var host = await StartGardenAsync();
        var recoveredOutbox = await EventsOf(Recorder(host, "garden-outbox"));
        Assert.Equal([new OutboxAppended(2, "deployment_update", "{\"x\":1}")], recoveredOutbox.All);
        Assert.Equal(3, recoveredOutbox.LastSequenceNr);
        var recoveredDeployer = await EventsOf(Recorder(host, "garden-deployer"));
        Assert.Equal([new DeploymentAccepted("d-1", "{}", 42), new ActivationStarted("s-1", "switch", "alice")], recoveredDeployer.All);
        var recoveredTrimmed = await EventsOf(Recorder(host, "garden-deployment-d-0"));
        Assert.Empty(recoveredTrimmed.All);
        Assert.Equal(2, recoveredTrimmed.LastSequenceNr);
        await StopAsync(host);

        // Once only: a second start does not copy the old rows again over newer ones.
        using (var file = new SqliteJournalFile(GardenAkkaHostingExtensions.GardenDatabasePath(_directory.Path)))
        {
            Assert.StartsWith("3 events and 0 snapshots copied from Akka.Persistence.Sql", file.Info(LegacySqlMigration.InfoKey));
            Assert.True(file.Scalar("SELECT COUNT(*) FROM journal") >= 3, "the old tables are left as they were");
        }
        host = await StartGardenAsync();
        var outboxAgain = Recorder(host, "garden-outbox");
        Assert.Equal(4, (await AppendAsync(outboxAgain, new OutboxDelivered(2))).LastSequenceNr);
        await StopAsync(host);
        host = await StartGardenAsync();
        var final = await EventsOf(Recorder(host, "garden-outbox"));
        Assert.Equal([new OutboxAppended(2, "deployment_update", "{\"x\":1}"), new OutboxDelivered(2)], final.All);
        await StopAsync(host);
    }

    [Fact]
    public async Task The_garden_refuses_to_persist_a_type_without_an_explicit_serializer_and_keeps_going()
    {
        var host = await StartGardenAsync();
        var recorder = Recorder(host, "garden-outbox");
        await AppendAsync(recorder, new OutboxDelivered(1));
        // Akka's Newtonsoft.Json fallback is not there: the write is rejected (the actor logs it and carries on).
        await Assert.ThrowsAsync<Akka.Actor.AskTimeoutException>(() => recorder.Ask<RecordingActor.Appended>(
            new RecordingActor.Append(["a string has no garden serializer"]), TimeSpan.FromSeconds(2)));
        Assert.Equal(3, (await AppendAsync(recorder, new OutboxDelivered(2))).LastSequenceNr); // the rejected event had 2
        var events = await EventsOf(recorder);
        Assert.Equal([new OutboxDelivered(1), new OutboxDelivered(2)], events.All);
        await StopAsync(host);
    }

    [Fact]
    public async Task A_journal_file_from_a_newer_schema_is_refused_with_a_clear_error()
    {
        var database = GardenAkkaHostingExtensions.GardenDatabasePath(_directory.Path);
        new SqliteStore(database).Dispose();
        using (var file = new SqliteConnection($"Data Source={database};Pooling=false"))
        {
            file.Open();
            using var command = file.CreateCommand();
            command.CommandText = "UPDATE store_info SET value = '99' WHERE key = 'schema_version'";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<InvalidDataException>(() => new SqliteStore(database));
        Assert.Contains("schema version 99", error.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public void A_file_that_is_not_an_SQLite_database_is_refused_with_its_path_and_left_as_it_was()
    {
        var database = GardenAkkaHostingExtensions.GardenDatabasePath(_directory.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        var garbage = System.Text.Encoding.ASCII.GetBytes(new string('x', 8192));
        File.WriteAllBytes(database, garbage);
        var error = Assert.Throws<SqliteStoreException>(() => new SqliteStore(database));
        Assert.Contains(database, error.Message);
        Assert.Contains("not a database", error.Message);
        Assert.Equal(garbage, File.ReadAllBytes(database));
    }

    [Fact]
    public async Task A_hostile_persistence_id_is_stored_as_a_value_never_as_SQL()
    {
        var database = GardenAkkaHostingExtensions.GardenDatabasePath(_directory.Path);
        const string hostile = "x'); DROP TABLE events; --";
        using (var store = new SqliteStore(database))
        {
            await store.InTransactionAsync(c =>
            {
                using var insert = c.Prepare("""
                    INSERT INTO events (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, event_manifest, writer_uuid, payload)
                    VALUES ($pid, 1, 0, 1, '', '', '', $payload)
                    """);
                return insert.Bind("$pid", hostile).Bind("$payload", Array.Empty<byte>()).Execute();
            });
            var stored = await store.RunAsync(c =>
            {
                using var select = c.Prepare("SELECT persistence_id, length(payload) FROM events");
                Assert.True(select.Step());
                return (select.Text(0), select.Int64(1));
            });
            Assert.Equal((hostile, 0L), stored);
        }
        Assert.Throws<ArgumentException>(() =>
        {
            using var store = new SqliteStore(database);
            store.RunAsync(c =>
            {
                using var select = c.Prepare("SELECT 1");
                return select.Bind("$absent", 1).Step();
            }).GetAwaiter().GetResult();
        });
    }

    [Fact]
    public async Task The_journal_and_the_snapshot_store_opening_one_fresh_file_at_once_both_open()
    {
        // What every first start does: both plugins create their store at the same moment, and switching a new file to
        // WAL takes a lock that SQLite's own busy handler does not wait for.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var database = Path.Combine(_directory.Path, $"fresh-{attempt}", "garden.db");
            using var start = new Barrier(3);
            var stores = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return new SqliteStore(database);
            })));
            foreach (var store in stores) store.Dispose();
        }
    }
}
