using System.Collections.Immutable;

namespace Sower.Messages.Domain;

/// <summary>One thing wrong with some input, located by a dotted path such as <c>policy.nightly.window.tz</c>.</summary>
public sealed record ValidationProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>The outcome of a validator: a value when there are no problems, otherwise every problem found at once.</summary>
public sealed record Parsed<T>(T? Value, ImmutableArray<ValidationProblem> Problems)
{
    public bool Ok => Problems.IsDefaultOrEmpty;

    public static Parsed<T> Success(T value) => new(value, ImmutableArray<ValidationProblem>.Empty);

    public static Parsed<T> Failure(ImmutableArray<ValidationProblem> problems) => new(default, problems);

    public bool Equals(Parsed<T>? other) =>
        other is not null && EqualityComparer<T?>.Default.Equals(Value, other.Value) && Seq.Equal(Problems, other.Problems);

    public override int GetHashCode() => HashCode.Combine(Value, Seq.Hash(Problems));
}

/// <summary>Structural equality helpers: ImmutableArray compares by reference, records here compare by content.</summary>
internal static class Seq
{
    public static bool Equal<T>(ImmutableArray<T> a, ImmutableArray<T> b)
    {
        if (a.IsDefaultOrEmpty || b.IsDefaultOrEmpty) return a.IsDefaultOrEmpty == b.IsDefaultOrEmpty;
        if (a.Length != b.Length) return false;
        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Length; i++)
        {
            if (!comparer.Equals(a[i], b[i])) return false;
        }
        return true;
    }

    public static bool Equal<T>(ImmutableArray<T>? a, ImmutableArray<T>? b) =>
        a.HasValue == b.HasValue && (!a.HasValue || Equal(a.Value, b!.Value));

    public static int Hash<T>(ImmutableArray<T> a)
    {
        var hash = new HashCode();
        if (!a.IsDefault)
        {
            foreach (var item in a) hash.Add(item);
        }
        return hash.ToHashCode();
    }

    public static int Hash<T>(ImmutableArray<T>? a) => a.HasValue ? Hash(a.Value) * 31 + 1 : 0;
}
