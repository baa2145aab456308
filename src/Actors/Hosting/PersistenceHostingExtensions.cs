using System.Data.Common;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;

namespace Sower.Actors.Hosting;

public static class PersistenceHostingExtensions
{
    /// <summary>Health-check tag of the persistence checks; <c>/healthz/ready</c> includes every check with it.</summary>
    public const string HealthTag = "persistence";

    public const string ConnectivityCheckName = "sower.database.connectivity";

    /// <summary>Akka.Persistence.Sql as the default journal and snapshot store on SQLite (Microsoft.Data.Sqlite,
    /// <c>SQLite.MS</c>) or PostgreSQL (Npgsql, <c>PostgreSQL.15</c>), schema created on start, with plugin health
    /// checks and a database connectivity check (<c>SELECT 1</c>). <paramref name="journal"/> lets callers add event
    /// adapters (taggers).</summary>
    /// <remarks>The plugin's own <c>WithConnectivityCheck()</c> (Sql.Hosting 1.5.70) fails with a TypeLoadException
    /// against linq2db 6.5.1, so the connectivity check here opens a plain ADO.NET connection instead.</remarks>
    public static AkkaConfigurationBuilder WithSowerPersistence(
        this AkkaConfigurationBuilder builder,
        PersistenceSettings settings,
        Action<AkkaPersistenceJournalBuilder>? journal = null)
    {
        var providerName = ProviderNameFor(settings.Provider);
        if (settings.Provider == DatabaseProvider.Sqlite) UseWriteAheadLog(settings.ConnectionString);
        builder.WithHealthCheck(ConnectivityCheckName, (_, _, ct) => CheckConnectivityAsync(settings, ct), tags: [HealthTag]);
        if (settings.Provider == DatabaseProvider.Sqlite) builder.WithSqliteJournalTuning();
        return builder.WithSqlPersistence(
            connectionString: settings.ConnectionString,
            providerName: providerName,
            autoInitialize: true,
            tagStorageMode: TagMode.TagTable,
            journalBuilder: j =>
            {
                journal?.Invoke(j);
                j.WithHealthCheck(HealthStatus.Unhealthy, tags: [HealthTag, "journal"]);
            },
            snapshotBuilder: s =>
            {
                s.WithHealthCheck(HealthStatus.Unhealthy, tags: [HealthTag, "snapshot-store"]);
            });
    }

    /// <summary>WAL lets readers (queries, projections) run while the journal writes; the mode is stored in the file,
    /// so setting it before the journal starts is enough. Failure is harmless (the default mode still works).</summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteScalar();
        }
        catch (SqliteException)
        {
            // e.g. a read-only or in-memory database: keep the default journal mode
        }
    }

    /// <summary>Opens a connection to the configured database and runs <c>SELECT 1</c>.</summary>
    public static async Task<HealthCheckResult> CheckConnectivityAsync(PersistenceSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            await using DbConnection connection = settings.Provider == DatabaseProvider.PostgreSql
                ? new NpgsqlConnection(settings.ConnectionString)
                : new SqliteConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{settings.Provider} reachable");
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or IOException)
        {
            return HealthCheckResult.Unhealthy($"{settings.Provider} unreachable: {e.Message}");
        }
    }

    public static string ProviderNameFor(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => ProviderName.SQLiteMS,
        DatabaseProvider.PostgreSql => ProviderName.PostgreSQL15,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "unknown database provider"),
    };
}
