using Akka.Hosting;

namespace Sower.Actors.Hosting;

/// <summary>
/// Akka.Persistence.Sql's write path on one SQLite file (issue 17). A journal call that waits behind a burst of writes
/// (a fleet acknowledging a rollout) gets 30 s before it counts as failed, instead of the 10 s default: a failed write
/// stops the entity and loses the command it was persisting, and ten of them open the circuit breaker, after which every
/// write and every recovery fails for 30 s (seen at 1,000 gardens).
/// </summary>
/// <remarks>Measured and not kept: one writer (<c>parallelism = 1</c>, batches of 400) instead of the plugin's three made
/// the same 1,000-garden rollout worse on the shared 2-core machine (journal calls over 30 s, the breaker open): on a
/// machine with 60 runnable processes three writer threads get three times the CPU of one, and much of a write is CPU
/// (serialization, building the SQL), not the file lock. See docs/benchmarks.md.</remarks>
public static class SqliteJournalTuning
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static AkkaConfigurationBuilder WithSqliteJournalTuning(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon($$"""
            akka.persistence.journal.sql.circuit-breaker.call-timeout = {{(int)CallTimeout.TotalSeconds}}s
            """, HoconAddMode.Prepend);
}
