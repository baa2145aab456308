using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Server;
using Sower.Testing;

namespace Sower.Actors.Tests.Server;

/// <summary>One entity host on a fresh SQLite file, shared by a test class, with a fake clock and fast timers.</summary>
public sealed class EntityFixture : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public FakeClock Clock { get; } = new(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
    public EntityHost Host { get; private set; } = null!;

    public static readonly ServerEntitySettings Fast = new()
    {
        StaleAfter = Duration.FromHours(2),
        StaleCheckInterval = TimeSpan.FromMilliseconds(100),
        ApprovalExpiry = Duration.FromHours(24),
        FanOutRetryInterval = TimeSpan.FromMilliseconds(500),
    };

    public async Task InitializeAsync()
    {
        _database = TestDatabases.CreateSqlite();
        Host = await EntityHost.StartAsync(_database.Settings, Clock, Fast);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await _database.DisposeAsync();
    }
}
