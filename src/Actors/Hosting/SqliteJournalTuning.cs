using Akka.Hosting;

namespace Sower.Actors.Hosting;

/// <summary>
/// Akka.Persistence.Sql on one SQLite file (issue 17). Reads (recoveries, snapshot loads, the read models' queries) run in
/// deferred transactions: with the plugin's default isolation (unspecified) Microsoft.Data.Sqlite opens every transaction
/// with <c>BEGIN IMMEDIATE</c>, so each read took the file's write lock and, finding it held, slept in 150 ms steps; a
/// profile at 5,000 gardens put 83 % of the server's lock waits on reads. <c>read-uncommitted</c> is what asks it for a
/// deferred <c>BEGIN</c>; in WAL mode without a shared cache a reader still sees only committed data (a snapshot).
/// Writes keep <c>BEGIN IMMEDIATE</c>. A journal call that waits behind a burst of writes (a fleet acknowledging a rollout) gets 30 s before it counts as failed, instead of the 10 s default: a failed write
/// stops the entity and loses the command it was persisting, and ten of them open the circuit breaker, after which every
/// write and every recovery fails for 30 s (seen at 1,000 gardens).
/// </summary>
/// <remarks>Measured and not kept: one writer (<c>parallelism = 1</c>, batches of 400) instead of the plugin's three made
/// the same 1,000-garden rollout worse on the shared 2-core machine (journal calls over 30 s, the breaker open): on a
/// machine with 60 runnable processes three writer threads get three times the CPU of one, and much of a write is CPU
/// (serialization, building the SQL), not the file lock; measured again on a quiet machine at 5,000 gardens, still not
/// better. See docs/benchmarks.md.</remarks>
public static class SqliteJournalTuning
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static AkkaConfigurationBuilder WithSqliteJournalTuning(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon($$"""
            akka.persistence.journal.sql.circuit-breaker.call-timeout = {{(int)CallTimeout.TotalSeconds}}s
            akka.persistence.journal.sql.read-isolation-level = read-uncommitted
            akka.persistence.query.journal.sql.read-isolation-level = read-uncommitted
            akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted
            """, HoconAddMode.Prepend);
}
