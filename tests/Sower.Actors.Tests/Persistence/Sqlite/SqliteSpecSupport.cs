using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Sower.Actors.Persistence.Sqlite;

namespace Sower.Actors.Tests.Persistence.Sqlite;

/// <summary>A fresh directory for one real SQLite file, deleted on dispose.</summary>
public sealed class SqliteSpecDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sower-lean-journal-").FullName;

    public string Database => System.IO.Path.Combine(Path, "garden.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}

/// <summary>An event whose serializer always fails: the journal must reject its write and keep going.</summary>
public sealed record RefusedEvent(string Value);

public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 9901;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => throw new InvalidOperationException("this event refuses to be serialized");

    public override object FromBinary(byte[] bytes, Type? type) => throw new InvalidOperationException("never written");
}

public static class SqliteSpecConfig
{
    /// <summary>The plugin HOCON of <see cref="SqlitePersistenceHostingExtensions.WithSqliteJournal"/>, the garden's serializer
    /// and the refusing one.</summary>
    public static Config For(string database) => ConfigurationFactory.ParseString(SqlitePersistenceHostingExtensions.Hocon(database) + $$"""

        akka.loglevel = WARNING
        akka.actor.serializers {
          garden-journal = "{{typeof(Sower.Actors.Garden.GardenJournalSerializer).AssemblyQualifiedName}}"
          refusing = "{{typeof(RefusingSerializer).AssemblyQualifiedName}}"
        }
        akka.actor.serialization-bindings {
          "{{typeof(Sower.Messages.GardenDaemon.IGardenJournalEvent).AssemblyQualifiedName}}" = garden-journal
          "{{typeof(RefusedEvent).AssemblyQualifiedName}}" = refusing
        }
        """);
}
