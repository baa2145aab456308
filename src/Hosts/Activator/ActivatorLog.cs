using System.Globalization;
using System.Text;

namespace Sower.Activator;

/// <summary>
/// The activator's log: every line goes to stderr (the journal under systemd) and, while a request runs, is teed to
/// the client as <c>&lt;timestamp&gt; [activator] &lt;message&gt; key=value…</c> (REFERENCE §7.2).
/// Values are quoted and escaped when needed, so a hostile request cannot forge log lines.
/// </summary>
public sealed class ActivatorLog(TextWriter journal, TimeProvider time)
{
    private const int MaxValueLength = 512;
    private readonly TextWriter _journal = TextWriter.Synchronized(journal);
    private FrameWriter? _tee;

    public TimeProvider Time => time;

    /// <summary>From now on, log lines are also sent to this client.</summary>
    public void TeeTo(FrameWriter frames) => _tee = frames;

    public void Info(string message, params (string Key, object? Value)[] fields) => Write(message, fields, isError: false, toClient: true);

    public void Error(string message, params (string Key, object? Value)[] fields) => Write(message, fields, isError: true, toClient: true);

    /// <summary>A line for the journal only (e.g. why a peer was refused, which the peer is not told).</summary>
    public void JournalOnly(string message, params (string Key, object? Value)[] fields) => Write(message, fields, isError: false, toClient: false);

    /// <summary>A child's stderr line, copied to the journal as it came.</summary>
    public void ChildStderr(string line) => _journal.WriteLine(Escape(line));

    public string Timestamp() => Format(time.GetUtcNow());

    /// <summary>RFC 3339 in UTC with milliseconds, e.g. 2026-11-28T15:31:45.123Z.</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void Write(string message, (string Key, object? Value)[] fields, bool isError, bool toClient)
    {
        var sb = new StringBuilder(Timestamp()).Append(" [activator] ").Append(message);
        foreach (var (key, value) in fields)
        {
            sb.Append(' ').Append(key).Append('=').Append(Quote(value is bool b ? (b ? "true" : "false") : Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        }
        var line = sb.ToString();
        _journal.WriteLine(line);
        if (!toClient || _tee is null) return;
        if (isError) _tee.Error(line);
        else _tee.Output(line);
    }

    /// <summary>Leaves simple values bare (so <c>id=abc type=stage</c> reads naturally) and quotes anything else.</summary>
    public static string Quote(string value)
    {
        if (value.Length > MaxValueLength) value = string.Concat(value.AsSpan(0, MaxValueLength), "…"); // bounded, whatever a request sends
        var plain = value.All(c => c > ' ' && c < 0x7f && c is not ('"' or '\\' or '='));
        if (plain) return value;
        return "\"" + Escape(value).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    private static string Escape(string value)
    {
        if (!value.Any(c => char.IsControl(c) || c == '\\' || char.IsSurrogate(c))) return value;
        var sb = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                sb.Append(c).Append(value[++i]);
                continue;
            }
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
