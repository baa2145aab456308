using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Cli.Infrastructure;

/// <summary>
/// Source-control tags of REFERENCE §1.4 for the checkout in a directory:
/// git — clean: <c>git_branch</c> (when on a branch), <c>git_rev</c>, and <c>git_tag</c> when HEAD is exactly tagged;
/// dirty (any porcelain status line): <c>git_dirty=true</c>, <c>git_rev=&lt;hash&gt;-dirty</c>, and no branch or tag, so
/// a rule like <c>git_branch=production</c> never matches a dirty build.
/// flake — <c>flake_git_rev</c> from <c>nix flake metadata</c> (the dirty revision plus <c>flake_dirty=true</c> when dirty).
/// jujutsu — <c>jj_change_id</c> of the nearest non-empty ancestor of @, <c>jj_local_bookmark</c> per local bookmark on it,
/// <c>jj_bookmark</c> per remote bookmark as name@remote (the git pseudo-remote excluded).
/// A tool that is missing or fails contributes nothing.
/// </summary>
public static class RepositoryTags
{
    public static IReadOnlyList<Tag> Collect(string directory, Action<string> warn)
    {
        var tags = new List<Tag>();
        tags.AddRange(Flake(directory, warn));
        tags.AddRange(Git(directory));
        tags.AddRange(Jujutsu(directory));
        return tags;
    }

    public static IReadOnlyList<Tag> Git(string directory)
    {
        var inside = ProcessRunner.Run("git", ["rev-parse", "--is-inside-work-tree"], directory);
        if (inside is not { ExitCode: 0 } || inside.Stdout.Trim() != "true") return [];
        var head = ProcessRunner.Run("git", ["rev-parse", "HEAD"], directory);
        if (head is not { ExitCode: 0 }) return []; // no commit yet
        var rev = head.Stdout.Trim();
        var status = ProcessRunner.Run("git", ["status", "--porcelain"], directory);
        var dirty = status is not { ExitCode: 0 } || status.Stdout.Split('\n').Any(l => l.Length > 0);
        if (dirty) return [new Tag("git_dirty", "true"), new Tag("git_rev", rev + "-dirty")];
        var tags = new List<Tag>();
        var branch = ProcessRunner.Run("git", ["symbolic-ref", "--short", "-q", "HEAD"], directory);
        if (branch is { ExitCode: 0 } && branch.Stdout.Trim() is { Length: > 0 } name) tags.Add(new Tag("git_branch", name));
        tags.Add(new Tag("git_rev", rev));
        var tagged = ProcessRunner.Run("git", ["tag", "--points-at", "HEAD"], directory);
        if (tagged is { ExitCode: 0 })
        {
            foreach (var t in tagged.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal))
            {
                tags.Add(new Tag("git_tag", t));
            }
        }
        return tags;
    }

    public static IReadOnlyList<Tag> Flake(string directory, Action<string> warn)
    {
        if (!File.Exists(Path.Combine(directory, "flake.nix"))) return [];
        var metadata = ProcessRunner.Run("nix", ["--extra-experimental-features", "nix-command flakes", "flake", "metadata", "--json", "--no-write-lock-file", "."],
            directory, TimeSpan.FromSeconds(60));
        if (metadata is not { ExitCode: 0 })
        {
            warn("warning: could not read the flake's metadata (nix flake metadata failed); no flake tags added");
            return [];
        }
        JsonNode? json;
        try { json = JsonNode.Parse(metadata.Stdout); } catch (System.Text.Json.JsonException) { return []; }
        if (Output.Str(json, "revision") is { Length: > 0 } rev) return [new Tag("flake_git_rev", rev)];
        if (Output.Str(json, "dirtyRevision") is { Length: > 0 } dirtyRev) return [new Tag("flake_git_rev", dirtyRev), new Tag("flake_dirty", "true")];
        return [];
    }

    public static IReadOnlyList<Tag> Jujutsu(string directory)
    {
        if (!Directory.Exists(Path.Combine(directory, ".jj"))) return [];
        const string template = "change_id ++ \"\\t\" ++ local_bookmarks.map(|b| b.name()).join(\" \") ++ \"\\t\" ++ " +
                                "remote_bookmarks.map(|b| b.name() ++ \"@\" ++ b.remote()).join(\" \") ++ \"\\n\"";
        var log = ProcessRunner.Run("jj", ["log", "--no-graph", "--ignore-working-copy", "-r", "heads(::@ & ~empty())", "-T", template], directory);
        if (log is not { ExitCode: 0 }) return [];
        var line = log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (line is null) return [];
        var parts = line.Split('\t');
        var tags = new List<Tag> { new("jj_change_id", parts[0].Trim()) };
        if (parts.Length > 1) tags.AddRange(parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(b => new Tag("jj_local_bookmark", b)));
        if (parts.Length > 2)
        {
            tags.AddRange(parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(b => !b.EndsWith("@git", StringComparison.Ordinal))
                .Select(b => new Tag("jj_bookmark", b)));
        }
        return tags;
    }

    /// <summary>CLI tags, then metadata tags, then repository tags; exact duplicate pairs dropped (REFERENCE §1.4).</summary>
    public static IReadOnlyList<Tag> Concatenate(params IEnumerable<Tag>[] sources)
    {
        var seen = new HashSet<Tag>();
        var result = new List<Tag>();
        foreach (var tag in sources.SelectMany(s => s))
        {
            if (seen.Add(tag)) result.Add(tag);
        }
        return result;
    }
}
