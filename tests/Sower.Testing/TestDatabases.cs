using Microsoft.Data.Sqlite;
using Npgsql;
using Sower.Actors.Hosting;
using Sower.Messages.Domain;

namespace Sower.Testing;

/// <summary>A fresh, real database for one test (class); dispose to delete it.</summary>
public sealed class TestDatabase : IAsyncDisposable, IDisposable
{
    private readonly Func<Task> _cleanup;
    private int _disposed;

    internal TestDatabase(PersistenceSettings settings, string description, Func<Task> cleanup)
    {
        Settings = settings;
        Description = description;
        _cleanup = cleanup;
    }

    /// <summary>Provider and connection string, ready for <c>WithSowerPersistence</c>.</summary>
    public PersistenceSettings Settings { get; }
    public DatabaseProvider Provider => Settings.Provider;
    public string ConnectionString => Settings.ConnectionString;
    public string Description { get; }

    public override string ToString() => Description;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) await _cleanup();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

public static class TestDatabases
{
    public const string PostgresVariable = "SOWER_TEST_POSTGRES";
    public const string PostgresMissingMessage = "SOWER_TEST_POSTGRES is not set: run the suite through ./test.sh, which starts PostgreSQL";

    /// <summary>A new SQLite file in a temp directory; the directory is deleted on dispose.</summary>
    public static TestDatabase CreateSqlite()
    {
        var dir = Directory.CreateTempSubdirectory("sower-test-sqlite-").FullName;
        var file = Path.Combine(dir, PersistenceSettings.SqliteFileName);
        return new TestDatabase(new PersistenceSettings(DatabaseProvider.Sqlite, $"Data Source={file}"), $"SQLite {file}", () =>
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { /* best effort: the OS temp cleaner gets the rest */ }
            return Task.CompletedTask;
        });
    }

    /// <summary>A new database <c>sower_test_&lt;random&gt;</c> on the server in <c>SOWER_TEST_POSTGRES</c>,
    /// dropped on dispose.</summary>
    /// <exception cref="InvalidOperationException">The variable is not set.</exception>
    public static async Task<TestDatabase> CreatePostgresAsync()
    {
        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrWhiteSpace(admin)) throw new InvalidOperationException(PostgresMissingMessage);
        var name = "sower_test_" + Sid.New("");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
        return new TestDatabase(new PersistenceSettings(DatabaseProvider.PostgreSql, connectionString), $"PostgreSQL {name}", async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        });
    }

    /// <summary>Synchronous form of <see cref="CreatePostgresAsync"/>.</summary>
    public static TestDatabase CreatePostgres() => CreatePostgresAsync().GetAwaiter().GetResult();

    /// <summary>Creates a database of the given provider.</summary>
    public static Task<TestDatabase> CreateAsync(DatabaseProvider provider) =>
        provider == DatabaseProvider.PostgreSql ? CreatePostgresAsync() : Task.FromResult(CreateSqlite());
}
