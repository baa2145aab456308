using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The "what changes" summary, over output of <c>nix store diff-closures</c> captured on this machine's Nix 2.8.</summary>
public class ClosureDiffTests
{
    // nix --extra-experimental-features nix-command store diff-closures OLD NEW, piped (Nix 2.8 colours sizes even then).
    private const string Captured =
        "etc: \u001b[31;1m+18.0 KiB\u001b[0m\nlibfoo: 1 → 3, \u001b[31;1m+99.0 KiB\u001b[0m\nlinux: 1 → 5.15.2\n" +
        "newtool: ∅ → 0.5, \u001b[31;1m+40.1 KiB\u001b[0m\nnixos-system-demo: 1 → 2\noldtool: 2.1 → ∅, \u001b[32;1m-30.1 KiB\u001b[0m\n";

    // Two versions of one package on the old side, and a package that had no version (ε).
    private const string CapturedMultiVersion = "libbar: 1.0, 1.1 → 1.2\nzed: ε → 2\n";

    [Fact]
    public void Parses_version_changes_additions_removals_and_sizes_of_real_output()
    {
        var changes = ClosureDiff.Parse(Captured);
        Assert.Equal(["etc", "libfoo", "linux", "newtool", "nixos-system-demo", "oldtool"], changes.Select(c => c.Name));
        var etc = changes[0];
        Assert.False(etc.VersionChanged);
        Assert.Equal(18.0, etc.SizeDeltaKiB);
        Assert.Equal(["1"], changes[1].From.ToArray());
        Assert.Equal(["3"], changes[1].To.ToArray());
        Assert.Equal(99.0, changes[1].SizeDeltaKiB);
        Assert.Null(changes[2].SizeDeltaKiB);
        Assert.Empty(changes[3].From);
        Assert.Equal(["0.5"], changes[3].To.ToArray());
        Assert.Empty(changes[5].To);
        Assert.Equal(-30.1, changes[5].SizeDeltaKiB);
    }

    [Fact]
    public void Parses_several_versions_and_the_empty_version_marker()
    {
        var changes = ClosureDiff.Parse(CapturedMultiVersion);
        Assert.Equal(["1.0", "1.1"], changes[0].From.ToArray());
        Assert.Equal(["1.2"], changes[0].To.ToArray());
        Assert.Equal(["ε"], changes[1].From.ToArray());
        Assert.Equal("libbar: 1.0, 1.1 → 1.2", ClosureDiff.Describe(changes[0]));
    }

    [Fact]
    public void The_summary_counts_changes_gives_the_closure_size_delta_and_lists_version_changes_first()
    {
        var lines = ClosureDiff.Summarize(ClosureDiff.Parse(Captured), 38832, 168880);
        Assert.Equal("what changes: 3 version change(s), 1 added, 1 removed; closure 37.9 KiB → 164.9 KiB (+127.0 KiB)", lines[0]);
        Assert.Equal("  libfoo: 1 → 3, +99.0 KiB", lines[1]);
        Assert.Contains("  oldtool: 2.1 → ∅, -30.1 KiB", lines);
        Assert.Equal("  etc: +18.0 KiB", lines[^1]);
        Assert.DoesNotContain(lines, l => l.Contains('\u001b'));
    }

    [Fact]
    public void Without_sizes_or_changes_the_summary_still_says_so()
    {
        Assert.Equal(["what changes: no package changes"], ClosureDiff.Summarize([], null, null).ToArray());
    }

    [Fact]
    public void The_summary_is_bounded_in_lines_and_line_length_whatever_the_output()
    {
        var hostile = string.Concat(Enumerable.Range(0, 500).Select(i => $"pkg{i}{new string('x', 400)}: 1 → 2\n")) + "warning: something\n\n: → \n";
        var lines = ClosureDiff.Summarize(ClosureDiff.Parse(hostile), 1, 2);
        Assert.Equal(ClosureDiff.MaxPackageLines + 2, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= ClosureDiff.MaxLineLength, l));
        Assert.Equal("  … and 488 more", lines[^1]);
    }

    [Fact]
    public void Lines_that_are_not_package_changes_are_ignored()
    {
        Assert.Empty(ClosureDiff.Parse("error: something went wrong\nwarning: unable to download\n\n"));
    }
}
