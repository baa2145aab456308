using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;

namespace Sower.Benchmarks;

/// <summary>
/// Tag merging (issue 12, finding 6): SeedTags.Union of N distinct tags into an empty seed, against the floor (copying the N
/// tags into an array, the least any merge must do) and the pairwise (quadratic) merge it replaced, in the same run.
/// Linear means Union / Floor stays roughly constant as N grows; the pairwise ratio grows with N.
/// </summary>
[MemoryDiagnoser]
public class SeedTagsBenchmarks
{
    private ImmutableArray<Tag> _tags;

    [Params(256, 1024, 4096, 16384)]
    public int Tags { get; set; }

    [GlobalSetup]
    public void Setup() => _tags = [.. Enumerable.Range(0, Tags).Select(i => new Tag("key-" + i, "value-" + i))];

    [Benchmark(Baseline = true)]
    public ImmutableArray<Tag> Floor()
    {
        var builder = ImmutableArray.CreateBuilder<Tag>(_tags.Length);
        foreach (var tag in _tags) builder.Add(tag);
        return builder.ToImmutable();
    }

    [Benchmark]
    public ImmutableArray<Tag> Union() => SeedTags.Union([], _tags);

    /// <summary>The merge before issue 12: a linear Contains per added tag.</summary>
    [Benchmark]
    public ImmutableArray<Tag> Pairwise()
    {
        var builder = ImmutableArray.CreateBuilder<Tag>();
        foreach (var tag in _tags)
        {
            if (!builder.Contains(tag)) builder.Add(tag);
        }
        return builder.ToImmutable();
    }
}
