using System.Runtime.InteropServices;
using System.Text;
using Sower.Cli.Commands;

namespace Sower.Cli.Infrastructure;

/// <summary>How <c>sower build</c> evaluates its target (REFERENCE §8 <c>--eval-type</c>).</summary>
public enum EvalType
{
    Auto,
    Flake,
    Path,
}

/// <summary>
/// What <c>sower build</c> evaluates: a flake installable (<c>REF#ATTR</c>, evaluated with <c>nix eval</c>) or a
/// <c>.nix</c> file (evaluated with <c>nix-instantiate</c>), and the attribute path inside it where the walk starts.
/// Auto detection: a target containing <c>#</c> or <c>://</c> is a flake; one ending in <c>.nix</c> is a file; a
/// directory with <c>flake.nix</c> is a flake (attribute <c>sowerJobs.&lt;this system&gt;</c>); a directory with
/// <c>default.nix</c> is a file.
/// </summary>
public sealed record BuildTarget(bool IsFlake, string Installable, IReadOnlyList<string> AttrPath, string? LocalDirectory, string Display)
{
    /// <summary>The Nix system of this machine, e.g. x86_64-linux (the default flake attribute is sowerJobs.&lt;it&gt;).</summary>
    public static string CurrentSystem
    {
        get
        {
            var cpu = RuntimeInformation.OSArchitecture switch
            {
                Architecture.X64 => "x86_64",
                Architecture.Arm64 => "aarch64",
                Architecture.X86 => "i686",
                var other => other.ToString().ToLowerInvariant(),
            };
            return cpu + (OperatingSystem.IsMacOS() ? "-darwin" : "-linux");
        }
    }

    public static BuildTarget Resolve(string target, EvalType type, string? attr, string workingDirectory)
    {
        if (string.IsNullOrWhiteSpace(target)) throw new CliFailure(ExitCodes.Usage, "give a TARGET: a flake reference such as .#sowerJobs.x86_64-linux, or a .nix file");
        var extra = attr is null ? [] : ParseAttrPath(attr, "--attr");
        var full = Path.GetFullPath(target, workingDirectory);
        var kind = type switch
        {
            EvalType.Flake => EvalType.Flake,
            EvalType.Path => EvalType.Path,
            _ when target.Contains('#', StringComparison.Ordinal) || target.Contains("://", StringComparison.Ordinal) => EvalType.Flake,
            _ when target.EndsWith(".nix", StringComparison.Ordinal) => EvalType.Path,
            _ when Directory.Exists(full) && System.IO.File.Exists(Path.Combine(full, "flake.nix")) => EvalType.Flake,
            _ when Directory.Exists(full) && System.IO.File.Exists(Path.Combine(full, "default.nix")) => EvalType.Path,
            _ when !Path.Exists(full) => throw new CliFailure(ExitCodes.Usage,
                $"{target}: no such file or directory (give a flake reference such as .#sowerJobs.x86_64-linux, or a .nix file)"),
            _ => throw new CliFailure(ExitCodes.Usage,
                $"cannot tell how to evaluate {target}: it is not a flake reference (REF#ATTR), a .nix file, or a directory with flake.nix or default.nix; use --eval-type"),
        };
        return kind == EvalType.Flake ? Flake(target, extra, workingDirectory) : FromFile(target, full, extra);
    }

    private static BuildTarget Flake(string target, IReadOnlyList<string> extra, string workingDirectory)
    {
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var reference = hash < 0 ? target : target[..hash];
        var fragment = hash < 0 ? "" : target[(hash + 1)..];
        if (reference.Length == 0) reference = ".";
        if (fragment.Length == 0) fragment = $"sowerJobs.{CurrentSystem}";
        string? local = null;
        if (!reference.Contains(':', StringComparison.Ordinal)) local = Path.GetFullPath(reference, workingDirectory);
        else if (reference.StartsWith("path:", StringComparison.Ordinal)) local = reference["path:".Length..].Split('?')[0];
        else if (reference.StartsWith("git+file://", StringComparison.Ordinal)) local = reference["git+file://".Length..].Split('?')[0];
        if (local is not null && !reference.Contains(':', StringComparison.Ordinal) && !Directory.Exists(local))
        {
            throw new CliFailure(ExitCodes.Usage, $"{target}: the flake directory {local} does not exist");
        }
        var installable = $"{reference}#{fragment}";
        return new BuildTarget(true, installable, extra, local is not null && Directory.Exists(local) ? local : null,
            extra.Count == 0 ? installable : $"{installable} -A {FormatAttrPath(extra)}");
    }

    private static BuildTarget FromFile(string target, string full, IReadOnlyList<string> extra)
    {
        var file = Directory.Exists(full) ? Path.Combine(full, "default.nix") : full;
        if (!System.IO.File.Exists(file)) throw new CliFailure(ExitCodes.Usage, $"{target}: no such file");
        return new BuildTarget(false, file, extra, Path.GetDirectoryName(file), extra.Count == 0 ? target : $"{target} -A {FormatAttrPath(extra)}");
    }

    /// <summary>A dotted attribute path; components with dots or other special characters in double quotes.</summary>
    public static IReadOnlyList<string> ParseAttrPath(string text, string what)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var started = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
                started = true;
            }
            else if (c == '.' && !quoted)
            {
                if (!started) throw new CliFailure(ExitCodes.Usage, $"invalid {what} \"{text}\": empty attribute name");
                parts.Add(current.ToString());
                current.Clear();
                started = false;
            }
            else
            {
                current.Append(c);
                started = true;
            }
        }
        if (quoted) throw new CliFailure(ExitCodes.Usage, $"invalid {what} \"{text}\": unbalanced quote");
        if (!started) throw new CliFailure(ExitCodes.Usage, $"invalid {what} \"{text}\": empty attribute name");
        parts.Add(current.ToString());
        return parts;
    }

    /// <summary>a.b."c.d": the form people write (other names as Nix string literals, so a quote stays unambiguous).</summary>
    public static string FormatAttrPath(IEnumerable<string> path) =>
        string.Join('.', path.Select(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '\'') ? p : NixString(p)));

    /// <summary>A Nix string literal holding exactly <paramref name="text"/> (no interpolation).</summary>
    public static string NixString(string text)
    {
        var sb = new StringBuilder("\"");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '$' when i + 1 < text.Length && text[i + 1] == '{': sb.Append("\\$"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }
}
