using System.Globalization;
using System.Text;
using NodaTime;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// Formats <see cref="GardenMetrics"/> in the Prometheus text exposition format (version 0.0.4), the format node_exporter's
/// textfile collector reads. Pure: the same state gives the same text. Label values are escaped as the format requires
/// (backslash, double quote, line feed) and made valid UTF-8, so a hostile subscription name cannot break the file or
/// forge a series; no label carries a token, path or server address.
/// </summary>
public static class GardenMetricsText
{
    /// <summary>Every series name, in the order written (the README documents each).</summary>
    public static readonly string[] SeriesNames =
    [
        "sower_garden_info", "sower_garden_connected", "sower_garden_last_server_contact_timestamp_seconds", "sower_garden_inhibited",
        "sower_garden_reboot_lock_waiting", "sower_garden_last_deployment_timestamp_seconds", "sower_garden_last_deployment_result",
        "sower_garden_activations_total", "sower_garden_deployments_total", "sower_garden_rollbacks_total",
    ];

    /// <summary>Results always written for the counters (0 until they happen), so <c>increase()</c> sees the first one.</summary>
    private static readonly string[] BaselineResults = ["failure", "success"];

    public static string Format(GardenMetrics m)
    {
        var text = new StringBuilder(1024);
        Family(text, "sower_garden_info", "gauge", "The garden's version, as a label (always 1).");
        Sample(text, "sower_garden_info", [("version", m.Version)], "1");
        Family(text, "sower_garden_connected", "gauge", "1 while the garden holds a session with the server, else 0.");
        Sample(text, "sower_garden_connected", [], Bool(m.Connected));
        Family(text, "sower_garden_last_server_contact_timestamp_seconds", "gauge",
            "Unix time of the last moment the garden was connected to the server (refreshed at least every 15 s while connected).");
        if (m.LastContact is { } contact) Sample(text, "sower_garden_last_server_contact_timestamp_seconds", [], Seconds(contact));
        Family(text, "sower_garden_inhibited", "gauge", "1 while the host inhibits activations (inhibit file or command), else 0.");
        Sample(text, "sower_garden_inhibited", [], Bool(m.Inhibited));
        Family(text, "sower_garden_reboot_lock_waiting", "gauge", "1 while a restart activation waits for the server's reboot lock, else 0.");
        Sample(text, "sower_garden_reboot_lock_waiting", [], Bool(m.WaitingForRebootLock));
        Family(text, "sower_garden_last_deployment_timestamp_seconds", "gauge", "Unix time the last deployment of a subscription finished on this garden.");
        foreach (var (name, last) in m.LastDeployments) Sample(text, "sower_garden_last_deployment_timestamp_seconds", [("subscription", name)], Seconds(last.At));
        Family(text, "sower_garden_last_deployment_result", "gauge", "1 for the result of a subscription's last deployment (success, failure, skipped, rolled_back).");
        foreach (var (name, last) in m.LastDeployments) Sample(text, "sower_garden_last_deployment_result", [("subscription", name), ("result", last.Result)], "1");
        Family(text, "sower_garden_activations_total", "counter", "Seed activations this garden ran, by the seed's result (survives restarts).");
        foreach (var (result, count) in WithBaseline(m.Activations)) Sample(text, "sower_garden_activations_total", [("result", result)], Count(count));
        Family(text, "sower_garden_deployments_total", "counter", "Deployments this garden finished, by result (survives restarts).");
        foreach (var (result, count) in WithBaseline(m.Deployments)) Sample(text, "sower_garden_deployments_total", [("result", result)], Count(count));
        Family(text, "sower_garden_rollbacks_total", "counter", "Deployments the activator rolled back (magic rollback; survives restarts).");
        Sample(text, "sower_garden_rollbacks_total", [], Count(m.Rollbacks));
        return text.ToString();
    }

    /// <summary>
    /// A label value as the exposition format wants it between double quotes: <c>\</c> → <c>\\</c>, <c>"</c> → <c>\"</c>,
    /// line feed → <c>\n</c>; an unpaired UTF-16 surrogate (not representable in UTF-8) → U+FFFD.
    /// </summary>
    public static string EscapeLabelValue(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\\': text.Append("\\\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append("\\n"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { text.Append(c).Append(value[++i]); }
                    else if (char.IsSurrogate(c)) text.Append('\uFFFD');
                    else text.Append(c);
                    break;
            }
        }
        return text.ToString();
    }

    private static IEnumerable<KeyValuePair<string, long>> WithBaseline(IReadOnlyDictionary<string, long> counts) =>
        counts.Concat(BaselineResults.Where(r => !counts.ContainsKey(r)).Select(r => KeyValuePair.Create(r, 0L)))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal);

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, (string Name, string Value)[] labels, string value)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(labels[i].Name).Append("=\"").Append(EscapeLabelValue(labels[i].Value)).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ').Append(value).Append('\n');
    }

    private static string Bool(bool value) => value ? "1" : "0";

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(Instant at) => (at.ToUnixTimeMilliseconds() / 1000m).ToString(CultureInfo.InvariantCulture);
}
