using Npgsql;

namespace Sower.Actors.Hosting.Membership;

/// <summary>The two small tables the nodes of one cluster share in its PostgreSQL database: which nodes are alive
/// (<c>sower_cluster_members</c>, one heartbeating row per node) and leases (<c>sower_cluster_leases</c>: the split brain
/// resolver's and the one that lets exactly one node form a new cluster). Every time is the database server's
/// <c>now()</c>, so the nodes' clocks never matter.</summary>
public sealed class ClusterDatabase(string connectionString)
{
    // Any constant: serializes concurrent CREATE TABLE IF NOT EXISTS of nodes starting together (PostgreSQL can fail
    // those with a unique violation on pg_type otherwise).
    private const long SchemaLockKey = 0x5_0_3_E_C1;

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancel)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancel);
        return connection;
    }

    public async Task EnsureSchemaAsync(CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        await using (var command = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(@key);
            CREATE TABLE IF NOT EXISTS sower_cluster_members (
              address text PRIMARY KEY, started_at timestamptz NOT NULL, heartbeat_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS sower_cluster_leases (
              name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL);
            """, connection, tx))
        {
            command.Parameters.AddWithValue("key", SchemaLockKey);
            await command.ExecuteNonQueryAsync(cancel);
        }
        await tx.CommitAsync(cancel);
    }

    /// <summary>Addresses of the nodes whose heartbeat is younger than <paramref name="alive"/>, except <paramref name="self"/>,
    /// oldest first.</summary>
    public async Task<IReadOnlyList<string>> LiveMembersAsync(string self, TimeSpan alive, CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var command = new NpgsqlCommand(
            "SELECT address FROM sower_cluster_members WHERE heartbeat_at > now() - @alive AND address <> @self ORDER BY started_at",
            connection);
        command.Parameters.AddWithValue("alive", alive);
        command.Parameters.AddWithValue("self", self);
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel)) result.Add(reader.GetString(0));
        return result;
    }

    /// <summary>Records (or refreshes) this node as a live member.</summary>
    public async Task HeartbeatAsync(string self, CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var command = new NpgsqlCommand("""
            INSERT INTO sower_cluster_members (address, started_at, heartbeat_at) VALUES (@self, now(), now())
            ON CONFLICT (address) DO UPDATE SET heartbeat_at = now()
            """, connection);
        command.Parameters.AddWithValue("self", self);
        await command.ExecuteNonQueryAsync(cancel);
    }

    /// <summary>Removes this node's row (it left the cluster, or was downed).</summary>
    public async Task RemoveMemberAsync(string self, CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var command = new NpgsqlCommand("DELETE FROM sower_cluster_members WHERE address = @self", connection);
        command.Parameters.AddWithValue("self", self);
        await command.ExecuteNonQueryAsync(cancel);
    }

    /// <summary>Takes (or renews) lease <paramref name="name"/> for <paramref name="owner"/> when it is free, expired or
    /// already the owner's; true when the owner holds it for <paramref name="ttl"/> from now.</summary>
    public async Task<bool> TryAcquireLeaseAsync(string name, string owner, TimeSpan ttl, CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var command = new NpgsqlCommand("""
            INSERT INTO sower_cluster_leases AS l (name, owner, expires_at) VALUES (@name, @owner, now() + @ttl)
            ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
              WHERE l.owner = EXCLUDED.owner OR l.expires_at < now()
            RETURNING owner
            """, connection);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("ttl", ttl);
        return await command.ExecuteScalarAsync(cancel) is string;
    }

    /// <summary>Extends a lease the owner still holds; false when it expired and someone else took it (or it is gone).</summary>
    public async Task<bool> RenewLeaseAsync(string name, string owner, TimeSpan ttl, CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var command = new NpgsqlCommand(
            "UPDATE sower_cluster_leases SET expires_at = now() + @ttl WHERE name = @name AND owner = @owner AND expires_at > now()",
            connection);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("ttl", ttl);
        return await command.ExecuteNonQueryAsync(cancel) == 1;
    }

    public async Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancel = default)
    {
        await using var connection = await OpenAsync(cancel);
        await using var command = new NpgsqlCommand("DELETE FROM sower_cluster_leases WHERE name = @name AND owner = @owner", connection);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("owner", owner);
        await command.ExecuteNonQueryAsync(cancel);
    }
}
