using System.Data.Common;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sower.Actors.Hosting;

namespace Sower.Server.Configuration;

/// <summary>
/// The ASP.NET Data Protection key ring (it signs console cookies and antiforgery tokens) in the journal's own database, in
/// one small table, so every node of a cluster reads the same keys and a cookie issued by one node is valid on all
/// (issue 19.2). On first use it imports the key files an older server left in <c>&lt;data_dir&gt;/keys</c> (idempotent:
/// a key already in the table is kept). The same SQL serves SQLite and PostgreSQL.
/// </summary>
public sealed class DatabaseXmlRepository(PersistenceSettings settings, string? legacyKeyDirectory) : IXmlRepository
{
    public const string Table = "sower_data_protection_keys";

    private readonly Lock _gate = new();
    private bool _ready;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT xml FROM {Table} ORDER BY created_at, friendly_name";
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read()) elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = Open();
        Insert(connection, friendlyName, element.ToString(SaveOptions.DisableFormatting));
    }

    private DbConnection Open()
    {
        DbConnection connection = settings.Provider == DatabaseProvider.PostgreSql
            ? new NpgsqlConnection(settings.ConnectionString)
            : new SqliteConnection(settings.ConnectionString);
        connection.Open();
        lock (_gate)
        {
            if (!_ready)
            {
                EnsureTable(connection);
                ImportLegacyKeys(connection);
                _ready = true;
            }
        }
        return connection;
    }

    private static void EnsureTable(DbConnection connection)
    {
        const string ddl = $"CREATE TABLE IF NOT EXISTS {Table} (friendly_name VARCHAR(256) PRIMARY KEY, xml TEXT NOT NULL, created_at BIGINT NOT NULL)";
        try
        {
            Execute(connection, ddl);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Two nodes created it at the same moment (PostgreSQL's IF NOT EXISTS is not atomic): it exists now.
        }
    }

    private void ImportLegacyKeys(DbConnection connection)
    {
        if (legacyKeyDirectory is null || !Directory.Exists(legacyKeyDirectory)) return;
        foreach (var file in Directory.EnumerateFiles(legacyKeyDirectory, "*.xml").Order(StringComparer.Ordinal))
        {
            XElement element;
            try
            {
                element = XElement.Load(file);
            }
            catch (Exception e) when (e is System.Xml.XmlException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"warning: data protection key {file} was not imported: {e.Message}");
                continue;
            }
            Insert(connection, Path.GetFileNameWithoutExtension(file), element.ToString(SaveOptions.DisableFormatting));
        }
    }

    private static void Insert(DbConnection connection, string friendlyName, string xml)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {Table} (friendly_name, xml, created_at) VALUES (@name, @xml, @at) ON CONFLICT (friendly_name) DO NOTHING";
        Add(command, "@name", friendlyName);
        Add(command, "@xml", xml);
        Add(command, "@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
