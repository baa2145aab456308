namespace Sower.Load;

public static class Stats
{
    /// <summary>Nearest-rank percentile of the values (seconds); NaN when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static string Seconds(double s) => double.IsNaN(s) ? "–" : s < 10 ? s.ToString("0.00") : s.ToString("0.0");

    public static string MiB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0");

    public static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (IOException) { return double.NaN; }
    }
}
