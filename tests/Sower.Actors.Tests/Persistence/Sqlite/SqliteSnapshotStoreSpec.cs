using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;

namespace Sower.Actors.Tests.Persistence.Sqlite;

/// <summary>
/// The cases of Akka's persistence TCK <c>SnapshotStoreSpec</c> against the lean SQLite snapshot store on a real file:
/// five snapshots (sequence numbers 10–14, one second apart) saved before each case.
/// </summary>
public sealed class SqliteSnapshotStoreSpec : Akka.TestKit.Xunit2.TestKit
{
    private const string Pid = "p-1";
    private readonly SqliteSpecDirectory directory;
    private readonly IActorRef store;
    private readonly TestProbe sender;
    private readonly List<SnapshotMetadata> saved = [];

    public SqliteSnapshotStoreSpec() : this(new SqliteSpecDirectory()) { }

    private SqliteSnapshotStoreSpec(SqliteSpecDirectory directory) : base(SqliteSpecConfig.For(directory.Database), "lean-snapshots")
    {
        this.directory = directory;
        store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        sender = CreateTestProbe();
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 10; i <= 14; i++)
        {
            var metadata = new SnapshotMetadata(Pid, i, start.AddSeconds(i));
            store.Tell(new SaveSnapshot(metadata, "s-" + i), sender.Ref);
            saved.Add(sender.ExpectMsg<SaveSnapshotSuccess>().Metadata);
        }
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        directory.Dispose();
    }

    private LoadSnapshotResult Load(SnapshotSelectionCriteria criteria, string pid = Pid, long toSequenceNr = long.MaxValue)
    {
        store.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), sender.Ref);
        return sender.ExpectMsg<LoadSnapshotResult>(TimeSpan.FromSeconds(30));
    }

    private void AssertLoaded(LoadSnapshotResult result, int sequenceNr)
    {
        Assert.NotNull(result.Snapshot);
        Assert.Equal(Pid, result.Snapshot!.Metadata.PersistenceId);
        Assert.Equal(sequenceNr, result.Snapshot.Metadata.SequenceNr);
        Assert.Equal(saved[sequenceNr - 10].Timestamp, result.Snapshot.Metadata.Timestamp);
        Assert.Equal("s-" + sequenceNr, result.Snapshot.Snapshot);
    }

    [Fact]
    public void Loads_nothing_for_an_unknown_persistence_id() =>
        Assert.Null(Load(SnapshotSelectionCriteria.Latest, "unknown").Snapshot);

    [Fact]
    public void Loads_nothing_when_no_timestamp_matches() =>
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, saved[0].Timestamp.AddSeconds(-1))).Snapshot);

    [Fact]
    public void Loads_nothing_when_no_sequence_number_matches() =>
        Assert.Null(Load(new SnapshotSelectionCriteria(9)).Snapshot);

    [Fact]
    public void Loads_the_most_recent_snapshot() => AssertLoaded(Load(SnapshotSelectionCriteria.Latest), 14);

    [Fact]
    public void Loads_the_most_recent_snapshot_under_an_upper_sequence_number_bound() =>
        AssertLoaded(Load(new SnapshotSelectionCriteria(13)), 13);

    [Fact]
    public void Loads_the_most_recent_snapshot_under_upper_sequence_number_and_timestamp_bounds() =>
        AssertLoaded(Load(new SnapshotSelectionCriteria(13, saved[2].Timestamp)), 12);

    [Fact]
    public void Loads_a_snapshot_inside_lower_bounds_only()
    {
        var result = Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 15, null));
        Assert.Null(result.Snapshot);
        AssertLoaded(Load(new SnapshotSelectionCriteria(12, DateTime.MaxValue, 11, saved[1].Timestamp)), 12);
    }

    [Fact]
    public void Deletes_a_single_snapshot_identified_by_its_sequence_number()
    {
        store.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 13, DateTime.MinValue)), sender.Ref);
        sender.ExpectMsg<DeleteSnapshotSuccess>();
        AssertLoaded(Load(new SnapshotSelectionCriteria(13)), 12);
        AssertLoaded(Load(SnapshotSelectionCriteria.Latest), 14);
    }

    [Fact]
    public void Deletes_all_snapshots_within_upper_sequence_number_and_timestamp_bounds()
    {
        store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(13, saved[3].Timestamp)), sender.Ref);
        sender.ExpectMsg<DeleteSnapshotsSuccess>();
        Assert.Null(Load(new SnapshotSelectionCriteria(13)).Snapshot);
        AssertLoaded(Load(SnapshotSelectionCriteria.Latest), 14);
    }

    [Fact]
    public void Keeps_snapshots_outside_the_timestamp_bound_of_a_delete()
    {
        store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(13, saved[0].Timestamp.AddSeconds(-1))), sender.Ref);
        sender.ExpectMsg<DeleteSnapshotsSuccess>();
        AssertLoaded(Load(new SnapshotSelectionCriteria(13)), 13);
    }

    [Fact]
    public void Overwrites_a_snapshot_saved_again_with_the_same_sequence_number()
    {
        var metadata = new SnapshotMetadata(Pid, 14, saved[4].Timestamp.AddSeconds(5));
        store.Tell(new SaveSnapshot(metadata, "s-14-again"), sender.Ref);
        sender.ExpectMsg<SaveSnapshotSuccess>();
        var result = Load(SnapshotSelectionCriteria.Latest);
        Assert.Equal("s-14-again", result.Snapshot!.Snapshot);
        Assert.Equal(metadata.Timestamp, result.Snapshot.Metadata.Timestamp);
    }

    [Fact]
    public void Saves_and_loads_a_large_snapshot()
    {
        var big = new string('x', 4 * 1024 * 1024);
        store.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 100, DateTime.MinValue), big), sender.Ref);
        sender.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(30));
        Assert.Equal(big, Load(SnapshotSelectionCriteria.Latest).Snapshot!.Snapshot);
    }
}
