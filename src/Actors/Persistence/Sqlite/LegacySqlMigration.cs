using System.Globalization;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>
/// Copies what Akka.Persistence.Sql (linq2db, default table mapping) wrote into the same SQLite file — tables
/// <c>journal</c> and <c>snapshot</c> — into the lean store's tables, once, inside the store's opening transaction: an
/// upgraded garden keeps its outbox and deployments, and a failed copy leaves the file as it was. The old tables are
/// left untouched (a downgraded garden still reads them); <c>store_info.legacy_migration</c> records the copy.
/// </summary>
public static class LegacySqlMigration
{
    public const string InfoKey = "legacy_migration";

    public static void MigrateOnce(SqliteDatabase connection)
    {
        if (SqliteStore.ReadInfo(connection, InfoKey) is not null) return;
        var journalColumns = Columns(connection, "journal");
        var snapshotColumns = Columns(connection, "snapshot");
        if (journalColumns.Count == 0 && snapshotColumns.Count == 0) return;

        long events = 0, snapshots = 0;
        if (journalColumns.Count > 0)
        {
            Require(journalColumns, "journal", "persistence_id", "sequence_number", "deleted", "created", "message", "manifest", "identifier", "writer_uuid");
            if (Scalar(connection, "SELECT COUNT(*) FROM journal WHERE deleted = 0 AND identifier IS NULL") > 0)
                throw new InvalidDataException("the old Akka.Persistence.Sql journal has events without a serializer id (written in its legacy format); they cannot be migrated");
            events = Execute(connection, """
                INSERT OR IGNORE INTO events (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, event_manifest, writer_uuid, payload)
                SELECT persistence_id, sequence_number, created, identifier, COALESCE(manifest, ''), '', COALESCE(writer_uuid, ''), message
                FROM journal WHERE deleted = 0
                """);
            // Akka.Persistence.Sql keeps the highest deleted event as a marked row, so its sequence number survives.
            Execute(connection, """
                INSERT INTO deleted_to (persistence_id, sequence_nr)
                SELECT persistence_id, MAX(sequence_number) FROM journal WHERE deleted = 1 GROUP BY persistence_id
                ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = MAX(sequence_nr, excluded.sequence_nr)
                """);
        }
        if (snapshotColumns.Count > 0)
        {
            Require(snapshotColumns, "snapshot", "persistence_id", "sequence_number", "created", "snapshot", "manifest", "serializer_id");
            snapshots = Execute(connection, """
                INSERT OR IGNORE INTO snapshots (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, payload)
                SELECT persistence_id, sequence_number, created, serializer_id, COALESCE(manifest, ''), snapshot
                FROM snapshot WHERE snapshot IS NOT NULL AND serializer_id IS NOT NULL
                """);
        }
        SqliteStore.WriteInfo(connection, InfoKey,
            string.Create(CultureInfo.InvariantCulture, $"{events} events and {snapshots} snapshots copied from Akka.Persistence.Sql at {DateTime.UtcNow:O}"));
    }

    private static HashSet<string> Columns(SqliteDatabase connection, string table)
    {
        using var select = connection.Prepare("SELECT name FROM pragma_table_info($table)");
        select.Bind("$table", table);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (select.Step()) names.Add(select.Text(0));
        return names;
    }

    private static void Require(HashSet<string> columns, string table, params string[] names)
    {
        var missing = names.Where(n => !columns.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"table {table} is not Akka.Persistence.Sql's default layout (no column {string.Join(", ", missing)}); it cannot be migrated");
    }

    private static long Scalar(SqliteDatabase connection, string sql)
    {
        using var select = connection.Prepare(sql);
        return select.Step() ? select.Int64(0) : 0;
    }

    private static int Execute(SqliteDatabase connection, string sql)
    {
        using var statement = connection.Prepare(sql);
        return statement.Execute();
    }
}
