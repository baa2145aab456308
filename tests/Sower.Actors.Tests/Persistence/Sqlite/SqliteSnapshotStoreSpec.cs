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
    private readonly SqliteSpecDirectory _directory;
    private readonly IActorRef _store;
    private readonly TestProbe _sender;
    private readonly List<SnapshotMetadata> _saved = [];

    public SqliteSnapshotStoreSpec() : this(new SqliteSpecDirectory()) { }

    private SqliteSnapshotStoreSpec(SqliteSpecDirectory directory) : base(SqliteSpecConfig.For(directory.Database), "lean-snapshots")
    {
        _directory = directory;
        _store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        _sender = CreateTestProbe();
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 10; i <= 14; i++)
        {
            var metadata = new SnapshotMetadata(Pid, i, start.AddSeconds(i));
            _store.Tell(new SaveSnapshot(metadata, "s-" + i), _sender.Ref);
            _saved.Add(_sender.ExpectMsg<SaveSnapshotSuccess>().Metadata);
        }
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _directory.Dispose();
    }

    private LoadSnapshotResult Load(SnapshotSelectionCriteria criteria, string pid = Pid, long toSequenceNr = long.MaxValue)
    {
        _store.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), _sender.Ref);
        return _sender.ExpectMsg<LoadSnapshotResult>(TimeSpan.FromSeconds(30));
    }

    private void AssertLoaded(LoadSnapshotResult result, int sequenceNr)
    {
        Assert.NotNull(result.Snapshot);
        Assert.Equal(Pid, result.Snapshot!.Metadata.PersistenceId);
        Assert.Equal(sequenceNr, result.Snapshot.Metadata.SequenceNr);
        Assert.Equal(_saved[sequenceNr - 10].Timestamp, result.Snapshot.Metadata.Timestamp);
        Assert.Equal("s-" + sequenceNr, result.Snapshot.Snapshot);
    }

    [Fact]
    public void Loads_nothing_for_an_unknown_persistence_id() =>
        Assert.Null(Load(SnapshotSelectionCriteria.Latest, "unknown").Snapshot);

    [Fact]
    public void Loads_nothing_when_no_timestamp_matches() =>
        Assert.Null(Load(new SnapshotSelectionCriteria(long.MaxValue, _saved[0].Timestamp.AddSeconds(-1))).Snapshot);

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
        AssertLoaded(Load(new SnapshotSelectionCriteria(13, _saved[2].Timestamp)), 12);

    [Fact]
    public void Loads_a_snapshot_inside_lower_bounds_only()
    {
        var result = Load(new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 15, null));
        Assert.Null(result.Snapshot);
        AssertLoaded(Load(new SnapshotSelectionCriteria(12, DateTime.MaxValue, 11, _saved[1].Timestamp)), 12);
    }

    [Fact]
    public void Deletes_a_single_snapshot_identified_by_its_sequence_number()
    {
        _store.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 13, DateTime.MinValue)), _sender.Ref);
        _sender.ExpectMsg<DeleteSnapshotSuccess>();
        AssertLoaded(Load(new SnapshotSelectionCriteria(13)), 12);
        AssertLoaded(Load(SnapshotSelectionCriteria.Latest), 14);
    }

    [Fact]
    public void Deletes_all_snapshots_within_upper_sequence_number_and_timestamp_bounds()
    {
        _store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(13, _saved[3].Timestamp)), _sender.Ref);
        _sender.ExpectMsg<DeleteSnapshotsSuccess>();
        Assert.Null(Load(new SnapshotSelectionCriteria(13)).Snapshot);
        AssertLoaded(Load(SnapshotSelectionCriteria.Latest), 14);
    }

    [Fact]
    public void Keeps_snapshots_outside_the_timestamp_bound_of_a_delete()
    {
        _store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(13, _saved[0].Timestamp.AddSeconds(-1))), _sender.Ref);
        _sender.ExpectMsg<DeleteSnapshotsSuccess>();
        AssertLoaded(Load(new SnapshotSelectionCriteria(13)), 13);
    }

    [Fact]
    public void Overwrites_a_snapshot_saved_again_with_the_same_sequence_number()
    {
        var metadata = new SnapshotMetadata(Pid, 14, _saved[4].Timestamp.AddSeconds(5));
        _store.Tell(new SaveSnapshot(metadata, "s-14-again"), _sender.Ref);
        _sender.ExpectMsg<SaveSnapshotSuccess>();
        var result = Load(SnapshotSelectionCriteria.Latest);
        Assert.Equal("s-14-again", result.Snapshot!.Snapshot);
        Assert.Equal(metadata.Timestamp, result.Snapshot.Metadata.Timestamp);
    }

    [Fact]
    public void Saves_and_loads_a_large_snapshot()
    {
        var big = new string('x', 4 * 1024 * 1024);
        _store.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 100, DateTime.MinValue), big), _sender.Ref);
        _sender.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(30));
        Assert.Equal(big, Load(SnapshotSelectionCriteria.Latest).Snapshot!.Snapshot);
    }
}
