using Akka.Hosting;

namespace Sower.Actors.Hosting;

/// <summary>
/// Akka.Persistence.Sql's write path tuned for one SQLite file (issue 17): SQLite has a single writer, so the plugin's
/// default of 3 parallel writers only makes them wait for each other in Microsoft.Data.Sqlite's busy-retry loop (and
/// reads, entity recoveries and the projection's polling queue behind them). One writer that takes up to
/// <see cref="BatchSize"/> queued writes into each transaction turns a burst of small writes (a fleet acknowledging a
/// rollout) into few transactions, each one fsync. PostgreSQL keeps the plugin's defaults.
/// </summary>
public static class SqliteJournalTuning
{
    public const int Parallelism = 1;
    public const int BatchSize = 400;

    /// <summary>The journal's circuit breaker: a call waits behind the single writer's queue, so it gets more time than
    /// the 10 s default before it counts as failed (a failed write stops the entity and, ten of them, opens the breaker).</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static AkkaConfigurationBuilder WithSqliteJournalTuning(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon($$"""
            akka.persistence.journal.sql {
              parallelism = {{Parallelism}}
              batch-size = {{BatchSize}}
              circuit-breaker.call-timeout = {{(int)CallTimeout.TotalSeconds}}s
            }
            """, HoconAddMode.Prepend);
}
