using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Sower.Actors.Server.Projections;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedCommands;

namespace Sower.Actors.Tests.Server;

/// <summary>The read model follows tagged events and announces every change on the EventStream for live views.</summary>
public sealed class ReadModelProjectionTests(EntityFixture fixture) : IClassFixture<EntityFixture>
{
    [Fact]
    public async Task A_submitted_seed_appears_in_the_read_model_and_the_change_is_published()
    {
        var host = fixture.Host;
        var listener = new TestProbe(host.System, new XunitAssertions());
        host.System.EventStream.Subscribe(listener.Ref, typeof(ReadModelChanged));
        var store = new List<ReadModelChanged>();
        host.ReadModel.Changed += change => { lock (store) store.Add(change); };

        var artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-projected-1";
        var sid = SeedIdentity.For(SeedType.NixOS, artifact);
        await host.Ask<SeedSubmissionResult>(host.Seeds, new SubmitSeed(sid, "projected", SeedType.NixOS, artifact, [], false, false, "ci"));

        listener.FishForMessage<ReadModelChanged>(c => c.Kind == SowerEventTagger.SeedTag && c.Sid == sid.Value, EntityHost.Timeout);
        var model = await host.ReadModelWhere(m => m.Seeds.ContainsKey(sid.Value), "the seed");
        Assert.Equal("projected", model.Seeds[sid.Value].Seed!.Name);
        lock (store) Assert.Contains(store, c => c.Sid == sid.Value);
    }
}
