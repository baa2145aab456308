using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// <c>metrics_textfile</c> (issue 19.1): where the garden writes its metrics for node_exporter's textfile collector, or
/// nothing when the setting is absent. An absolute path ending in <c>.prom</c> (the collector reads nothing else); the file
/// itself need not exist, its directory must (it is node_exporter's <c>--collector.textfile.directory</c>).
/// </summary>
public static class MetricsTextfileSetting
{
    public const string Key = "metrics_textfile";
    public const string Suffix = ".prom";

    /// <param name="checkFilesystem">False for <c>--check-config</c> (a NixOS build sandbox has not the host's directories).</param>
    public static string? Parse(JsonObject root, ConfigEnvironment env, bool checkFilesystem, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (root[Key] is not { } node) return null;
        if (node is not JsonValue v || !v.TryGetValue<string>(out var raw) || raw.Length is 0 or > 4096 || raw.Contains('\0'))
        {
            problems.Add(new(Key, $"expected an absolute path of a file ending in {Suffix}, e.g. \"/var/lib/prometheus-node-exporter/textfile/sower-garden.prom\", got {node.ToJsonString()}"));
            return null;
        }
        if (!GardenConfigLoader.TryExpandPath(Key, raw, env, out var path, out var error)) { problems.Add(new(Key, error!)); return null; }
        if (!Path.IsPathRooted(path))
        {
            problems.Add(new(Key, $"must be an absolute path, got \"{raw}\" (relative to what? the garden's working directory is not defined)"));
            return null;
        }
        path = Path.GetFullPath(path);
        if (checkFilesystem && Directory.Exists(path))
        {
            problems.Add(new(Key, $"\"{path}\" is a directory; name a file in it, e.g. \"{Path.Combine(path, "sower-garden" + Suffix)}\""));
            return null;
        }
        if (!path.EndsWith(Suffix, StringComparison.Ordinal))
        {
            problems.Add(new(Key, $"\"{path}\" must end in {Suffix}: node_exporter's textfile collector reads only *{Suffix} files"));
            return null;
        }
        var directory = Path.GetDirectoryName(path);
        if (checkFilesystem && (directory is null || !Directory.Exists(directory)))
        {
            problems.Add(new(Key, $"the directory \"{directory}\" does not exist; create it (it is node_exporter's --collector.textfile.directory) or name a file in an existing one"));
            return null;
        }
        return path;
    }
}
