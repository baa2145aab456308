using Akka.Hosting;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>The lean SQLite journal and snapshot store as the default persistence plugins (the garden host and its tests).</summary>
public static class SqlitePersistenceHostingExtensions
{
    public const string JournalPluginId = "akka.persistence.journal.sower-sqlite";
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sower-sqlite";

    /// <summary>Journal and snapshots in <paramref name="databasePath"/>, created on first use; an Akka.Persistence.Sql
    /// journal in the same file is copied once (<see cref="LegacySqlMigration"/>).</summary>
    public static AkkaConfigurationBuilder WithSqliteJournal(this AkkaConfigurationBuilder builder, string databasePath) =>
        builder.AddHocon(Hocon(databasePath), HoconAddMode.Prepend);

    public static string Hocon(string databasePath)
    {
        var path = "\"" + databasePath.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return $$"""
            akka.persistence.journal.plugin = "{{JournalPluginId}}"
            {{JournalPluginId}} {
              class = "{{typeof(SqliteJournal).AssemblyQualifiedName}}"
              plugin-dispatcher = "akka.actor.default-dispatcher"
              database = {{path}}
            }
            akka.persistence.snapshot-store.plugin = "{{SnapshotPluginId}}"
            {{SnapshotPluginId}} {
              class = "{{typeof(SqliteSnapshotStore).AssemblyQualifiedName}}"
              plugin-dispatcher = "akka.actor.default-dispatcher"
              database = {{path}}
            }
            """;
    }
}
