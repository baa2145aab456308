using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// How a host says "not now" (issue 14.4): while <see cref="File"/> exists, or while <see cref="Command"/> exits non-zero
/// (or does not finish within <see cref="CommandTimeout"/>), the garden defers activations and restarts. The command is an
/// argv list run directly as the garden's user, never through a shell. Checked every <see cref="PollInterval"/>.
/// </summary>
public sealed record InhibitSettings(string File, ImmutableArray<string> Command, TimeSpan CommandTimeout, TimeSpan PollInterval)
{
    public const string DefaultFile = "/run/sower/inhibit";

    public static InhibitSettings Default { get; } = new(DefaultFile, [], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

    /// <summary>Config keys: <c>inhibit_file</c>, <c>inhibit_command</c> (a list: program then arguments),
    /// <c>inhibit_command_timeout_seconds</c> (1–300, default 10), <c>inhibit_poll_seconds</c> (0.1–300, default 5).</summary>
    public static readonly string[] Keys = ["inhibit_file", "inhibit_command", "inhibit_command_timeout_seconds", "inhibit_poll_seconds"];

    public static InhibitSettings Parse(JsonObject root, ConfigEnvironment env, ImmutableArray<ValidationProblem>.Builder problems)
    {
        var d = Default;
        var file = d.File;
        if (root["inhibit_file"] is { } fileNode)
        {
            if (fileNode is JsonValue fv && fv.TryGetValue<string>(out var raw) && raw.Length is > 0 and <= 4096 && !raw.Contains('\0'))
            {
                if (!GardenConfigLoader.TryExpandPath("inhibit_file", raw, env, out var expanded, out var error)) problems.Add(new("inhibit_file", error!));
                else if (!Path.IsPathRooted(expanded)) problems.Add(new("inhibit_file", $"must be an absolute path, got \"{raw}\""));
                else file = expanded;
            }
            else problems.Add(new("inhibit_file", $"expected an absolute path, got {fileNode.ToJsonString()}"));
        }
        ImmutableArray<string> command = [];
        if (root["inhibit_command"] is { } commandNode)
        {
            if (commandNode is JsonValue)
            {
                problems.Add(new("inhibit_command", "expected a list: the program (an absolute path) and its arguments, e.g. [\"/run/current-system/sw/bin/test\", \"-e\", \"/run/db-ok\"]; it never runs through a shell"));
            }
            else if (commandNode is JsonArray list)
            {
                var argv = ImmutableArray.CreateBuilder<string>();
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonValue v && v.TryGetValue<string>(out var arg) && arg.Length <= 4096 && !arg.Contains('\0')) argv.Add(arg);
                    else problems.Add(new($"inhibit_command[{i}]", $"expected a string, got {list[i]?.ToJsonString() ?? "null"}"));
                }
                if (list.Count == 0) problems.Add(new("inhibit_command", "must name a program; leave the setting out for none"));
                else if (argv.Count == list.Count && !Path.IsPathRooted(argv[0])) problems.Add(new("inhibit_command[0]", $"the program must be an absolute path, got \"{argv[0]}\""));
                command = argv.ToImmutable();
            }
            else problems.Add(new("inhibit_command", $"expected a list of strings, got {commandNode.ToJsonString()}"));
        }
        var timeout = Seconds(root, "inhibit_command_timeout_seconds", 1, 300, d.CommandTimeout, problems);
        var poll = Seconds(root, "inhibit_poll_seconds", 0.1, 300, d.PollInterval, problems);
        return new InhibitSettings(file, command, timeout, poll);
    }

    private static TimeSpan Seconds(JsonObject root, string key, double min, double max, TimeSpan fallback, ImmutableArray<ValidationProblem>.Builder problems)
    {
        if (root[key] is not { } node) return fallback;
        if (node is JsonValue v && v.TryGetValue<double>(out var s) && s >= min && s <= max) return TimeSpan.FromSeconds(s);
        problems.Add(new(key, $"expected a number of seconds from {min} to {max}, got {node.ToJsonString()}"));
        return fallback;
    }
}
