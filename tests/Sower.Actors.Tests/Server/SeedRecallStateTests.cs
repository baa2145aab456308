using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedEvents;
using static Sower.Messages.Seeds.SeedLineCommands;

namespace Sower.Actors.Tests.Server;

/// <summary>Issue 16.2, the pure part: what a recall decides, and that a recalled seed is never the latest of its line.</summary>
public sealed class SeedRecallStateTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 29, 12, 0);
    private static readonly Actor Ops = Actor.Token(new TokenId("abcdefghijklmnopqrstuvwx"), "ops");

    private static SeedState Registered(string tag)
    {
        var artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-" + tag;
        var sid = SeedIdentity.For(SeedType.NixOS, artifact);
        var state = SeedState.Empty;
        foreach (var e in state.Decide(new SubmitSeed(sid, "web", SeedType.NixOS, artifact, [], false, false, "ci"), Now)) state = state.Apply(e);
        return state;
    }

    [Fact]
    public void A_recall_is_refused_for_an_unknown_seed_a_bad_reason_and_a_second_time_and_an_unrecall_only_undoes_a_recall()
    {
        var unknown = SeedState.Empty.Decide(new RecallSeed(new SeedId("seed_abcdefghijklmnopqrstuvwx"), "bad", false, Ops), Now);
        Assert.Equal(SeedState.SeedNotFound, unknown.Code);
        var state = Registered("a");
        var sid = state.Seed!.Sid;
        Assert.Equal(RecallReasons.InvalidReason, state.Decide(new RecallSeed(sid, "two\nlines", false, Ops), Now).Code);
        Assert.Equal(SeedState.NotRecalled, state.Decide(new UnrecallSeed(sid, Ops), Now).Code);

        var recall = state.Decide(new RecallSeed(sid, "breaks DNS", true, Ops), Now);
        var recalled = Assert.IsType<SeedRecalled>(Assert.Single(recall.Events));
        Assert.Equal(Ops, recalled.By);
        state = state.Apply(recalled);
        Assert.True(state.RecallOwed);
        Assert.True(state.Seed!.Withdrawn);
        Assert.False(state.Seed.Retired);
        Assert.Equal(new SeedRecall("breaks DNS", true, Ops.Sid, Now), state.Seed.Recall);
        Assert.Equal(SeedState.AlreadyRecalled, state.Decide(new RecallSeed(sid, "again", false, Ops), Now).Code);

        state = state.Apply(new SeedRecallDelivered(sid, 2, Now));
        Assert.False(state.RecallOwed);
        var version = state.Version;
        state = state.Apply(Assert.Single(state.Decide(new UnrecallSeed(sid, Ops), Now).Events));
        Assert.Null(state.Seed!.Recall);
        Assert.Equal(version + 1, state.Version);
    }

    [Fact]
    public void A_recalled_seed_is_never_the_latest_of_its_line_and_a_promote_of_it_fans_out_nothing()
    {
        var good = Registered("good").Seed!;
        var bad = Registered("bad").Seed! with { Recency = Now + Duration.FromMinutes(1) };
        var line = new SeedLineKey(SeedType.NixOS, "web");
        var state = SeedLineState.Empty;
        foreach (var e in state.Decide(new FollowSeedLine(line, new GardenId("grdn_abcdefghijklmnopqrstuvwx"), new SubscriptionId("sub_abcdefghijklmnopqrstuvwx"), [], true)))
        {
            state = state.Apply(e);
        }
        foreach (var (seed, version) in new[] { (good, 1L), (bad, 1L) })
        {
            foreach (var e in state.Decide(new SetSeedInLine(line, seed, version, true))) state = state.Apply(e);
        }
        Assert.Equal(bad.Sid, state.LatestMatching([])!.Sid);

        var recalled = bad with { Recall = new SeedRecall("breaks DNS", false, "ops", Now) };
        foreach (var e in state.Decide(new SetSeedInLine(line, recalled, 2, false))) state = state.Apply(e);
        Assert.Equal(good.Sid, state.LatestMatching([])!.Sid);

        var promoted = recalled with { Recency = Now + Duration.FromMinutes(5) };
        var events = state.Decide(new SetSeedInLine(line, promoted, 3, true));
        Assert.DoesNotContain(events, e => e is SeedLineEvents.RealtimeFanOutScheduled);
    }
}
