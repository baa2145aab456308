using System.Text;

namespace Sower.Messages.Domain;

/// <summary>
/// Size limits on what anyone may say about a seed: the REST API, the CLI hub and garden reports all check here, so one
/// rule holds at every entry point. Sizes are UTF-8 bytes (what is stored and sent), not characters.
/// </summary>
public static class SeedLimits
{
    public const int MaxNameBytes = 255;
    public const int MaxTags = 256;
    public const int MaxTagKeyBytes = 128;
    public const int MaxTagValueBytes = 4096;

    /// <summary>Largest REST request body the API reads (1 MiB).</summary>
    public const int MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Problems with a seed name (empty, or longer than the limit); <paramref name="path"/> names the field.</summary>
    public static IEnumerable<ValidationProblem> CheckName(string? name, string path = "name")
    {
        if (string.IsNullOrEmpty(name)) yield return new(path, "must not be empty");
        else if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes) yield return new(path, $"at most {MaxNameBytes} bytes (UTF-8)");
    }

    /// <summary>
    /// Problems with a tag list: more than <see cref="MaxTags"/> entries (counted before duplicates are dropped, so a huge list
    /// is refused without merging it), an empty or too long key, or a too long value. Null keys or values are the caller's
    /// business (they are reported by shape checks); here null counts as empty.
    /// </summary>
    public static IEnumerable<ValidationProblem> CheckTags(IReadOnlyList<(string? Key, string? Value)> tags, string path = "tags")
    {
        if (tags.Count > MaxTags)
        {
            // One sentence, not one per tag: the list is too long as a whole.
            yield return new(path, $"at most {MaxTags} tags (got {tags.Count})");
            yield break;
        }
        for (var i = 0; i < tags.Count; i++)
        {
            var (key, value) = tags[i];
            if (string.IsNullOrEmpty(key)) yield return new($"{path}[{i}].key", "must not be empty");
            else if (Encoding.UTF8.GetByteCount(key) > MaxTagKeyBytes) yield return new($"{path}[{i}].key", $"at most {MaxTagKeyBytes} bytes (UTF-8)");
            if (value is not null && Encoding.UTF8.GetByteCount(value) > MaxTagValueBytes)
            {
                yield return new($"{path}[{i}].value", $"at most {MaxTagValueBytes} bytes (4 KiB, UTF-8)");
            }
        }
    }

    public static IEnumerable<ValidationProblem> CheckTags(IReadOnlyList<Tag> tags, string path = "tags") =>
        CheckTags(tags.Select(t => ((string?)t.Key, (string?)t.Value)).ToList(), path);
}
