using System.Collections.Immutable;
using CsCheck;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedEvents;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Tests;

/// <summary>Issue 12, finding 6: the size limits every entry point shares, and tag merging.</summary>
public class SeedLimitsTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 12, 5, 12, 0);
    private const string Artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web-24.05";

    private static List<ValidationProblem> Tags(params Tag[] tags) => SeedLimits.CheckTags(tags).ToList();

    [Fact]
    public void A_name_of_255_bytes_passes_and_256_bytes_is_refused_naming_the_field()
    {
        Assert.Empty(SeedLimits.CheckName(new string('n', 255)));
        var problem = Assert.Single(SeedLimits.CheckName(new string('n', 256)));
        Assert.Equal("name", problem.Path);
        Assert.Contains("255 bytes", problem.Message);
    }

    [Fact]
    public void Limits_count_utf8_bytes_not_characters()
    {
        Assert.Empty(SeedLimits.CheckName(new string('é', 127)));             // 254 bytes
        Assert.Single(SeedLimits.CheckName(new string('é', 128)));            // 256 bytes, 128 characters
        Assert.Single(Tags(new Tag(new string('é', 65), "v")));              // 130-byte key
    }

    [Fact]
    public void Two_hundred_fifty_six_tags_pass_and_257_are_refused_as_a_whole()
    {
        Assert.Empty(Tags([.. Enumerable.Range(0, 256).Select(i => new Tag("k" + i, "v"))]));
        var problem = Assert.Single(Tags([.. Enumerable.Range(0, 257).Select(i => new Tag("k" + i, "v"))]));
        Assert.Equal("tags", problem.Path);
        Assert.Contains("at most 256 tags (got 257)", problem.Message);
    }

    [Fact]
    public void A_key_of_128_bytes_passes_and_129_is_refused_at_its_index()
    {
        Assert.Empty(Tags(new Tag(new string('k', 128), "v")));
        var problem = Assert.Single(Tags(new Tag("ok", "v"), new Tag(new string('k', 129), "v")));
        Assert.Equal("tags[1].key", problem.Path);
    }

    [Fact]
    public void A_value_of_4_KiB_passes_and_one_byte_more_is_refused_at_its_index()
    {
        Assert.Empty(Tags(new Tag("k", new string('v', 4096))));
        var problem = Assert.Single(Tags(new Tag("k", new string('v', 4097))));
        Assert.Equal("tags[0].value", problem.Path);
    }

    [Fact]
    public void An_empty_key_is_refused_and_an_empty_value_is_fine()
    {
        Assert.Equal("tags[0].key", Assert.Single(Tags(new Tag("", "v"))).Path);
        Assert.Empty(Tags(new Tag("k", "")));
    }

    [Fact]
    public void Union_keeps_order_and_drops_exact_duplicates_like_the_pairwise_definition() =>
        Gen.Select(GenTags, GenTags).Sample((existing, added) =>
        {
            // The reference: what the old pairwise (quadratic) Union computed.
            var expected = existing.ToList();
            foreach (var tag in added) if (!expected.Contains(tag)) expected.Add(tag);
            Assert.Equal(expected, SeedTags.Union(existing, added));
            Assert.Equal(expected.Skip(existing.Length), SeedTags.Missing(existing, added));
        }, iter: 2000);

    private static readonly Gen<ImmutableArray<Tag>> GenTags =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 3], (k, v) => new Tag("k" + k, "v" + v)).Array[0, 12].Select(a => a.Distinct().ToImmutableArray());

    [Fact]
    public void A_re_submission_that_would_take_a_seed_past_256_tags_is_refused()
    {
        var state = SeedState.Empty.Apply(Registered("tok_ci", fanOut: true, [.. Enumerable.Range(0, 200).Select(i => new Tag("a" + i, "v"))]));
        var fits = new SubmitSeed(Sid, "web", SeedType.NixOS, Artifact, [.. Enumerable.Range(0, 56).Select(i => new Tag("b" + i, "v"))], false, false, "tok_ci");
        Assert.Empty(state.Check(fits));
        var tooMany = fits with { Tags = [.. Enumerable.Range(0, 57).Select(i => new Tag("b" + i, "v"))] };
        var problem = Assert.Single(state.Check(tooMany));
        Assert.Equal("tags", problem.Path);
        Assert.Contains("257", problem.Message);
        // Tags it already has do not count twice.
        Assert.Empty(state.Check(fits with { Tags = [.. state.Seed!.Tags, .. fits.Tags] }));
    }

    // ── legacy garden-reported seeds (issue 12, finding 2) ──

    private static readonly SeedId Sid = SeedIdentity.For(SeedType.NixOS, Artifact);

    private static SeedRegistered Registered(string by, bool fanOut, ImmutableArray<Tag> tags, Instant? recency = null) =>
        new(Sid, new SeedInfo(Sid, "web", SeedType.NixOS, Artifact, tags, recency ?? Now, Now, false, by), fanOut);

    [Fact]
    public void A_seed_an_older_server_registered_from_a_garden_report_is_read_as_retired()
    {
        var planted = Registered("grdn_abcdefghijklmnopqrstuvwx", fanOut: false, [new Tag("git_branch", "main")], Instant.FromUtc(2099, 1, 1, 0, 0));
        var state = SeedState.Empty.Apply(planted);
        Assert.True(state.Seed!.Retired);
        Assert.False(SeedState.Empty.Apply(Registered("tok_ci", fanOut: true, [])).Seed!.Retired);
    }

    [Fact]
    public void A_seed_line_never_picks_a_legacy_garden_report_even_with_a_future_recency()
    {
        var line = new SeedLineKey(SeedType.NixOS, "web");
        var ci = SeedIdentity.For(SeedType.NixOS, Artifact + "-ci");
        var state = SeedLineState.Empty
            .Apply(new SeedLineEntrySet(line, new SeedInfo(ci, "web", SeedType.NixOS, Artifact + "-ci", [new Tag("git_branch", "main")], Now, Now, false, "tok_ci"), 1))
            .Apply(new SeedLineEntrySet(line, new SeedInfo(Sid, "web", SeedType.NixOS, Artifact, [new Tag("git_branch", "main")],
                Instant.FromUtc(2099, 1, 1, 0, 0), Now, false, "grdn_abcdefghijklmnopqrstuvwx"), 1));
        Assert.Equal(ci, state.LatestMatching([Rule.Equal("git_branch", "main")])!.Sid);
    }

    [Fact]
    public void Submitting_the_artifact_of_a_legacy_report_claims_it_with_the_submitters_name_tags_and_time()
    {
        var state = SeedState.Empty.Apply(Registered("grdn_abcdefghijklmnopqrstuvwx", fanOut: false,
            [new Tag("garden_source", "grdn_abcdefghijklmnopqrstuvwx"), new Tag("git_branch", "main")], Instant.FromUtc(2099, 1, 1, 0, 0)));
        var submit = new SubmitSeed(Sid, "web-ci", SeedType.NixOS, Artifact, [new Tag("git_branch", "release")], false, false, "tok_ci");
        Assert.Empty(state.Check(submit));
        var claimed = Assert.IsType<ReportedSeedClaimed>(Assert.Single(state.Decide(submit, Now)));
        Assert.Equal("grdn_abcdefghijklmnopqrstuvwx", claimed.ReportedBy);
        var after = state.Apply(claimed);
        Assert.False(after.Seed!.Retired);
        Assert.Equal("web-ci", after.Seed.Name);
        Assert.Equal(new[] { new Tag("git_branch", "release") }, after.Seed.Tags.ToArray());
        Assert.Equal(Now, after.Seed.Recency);
        Assert.Equal("tok_ci", after.Seed.RegisteredBy);
        Assert.Equal("web", after.PreviousName);
        Assert.True(after.LastChangeFansOut);

        // The line then takes it as new, with realtime fan-out to matching followers.
        var line = new SeedLineKey(SeedType.NixOS, "web-ci");
        var follower = new FollowSeedLine(line, new GardenId("grdn_bbbbbbbbbbbbbbbbbbbbbbbb"), new SubscriptionId("sub_bbbbbbbbbbbbbbbbbbbbbbbb"), [], true);
        var lineState = SeedLineState.Empty.Apply(Assert.Single(SeedLineState.Empty.Decide(follower)))
            .Apply(new SeedLineEntrySet(line, state.Seed!, state.Version));
        var events = lineState.Decide(new SetSeedInLine(line, after.Seed, after.Version, FanOut: true));
        Assert.Contains(events, e => e is RealtimeFanOutScheduled);
    }
}
