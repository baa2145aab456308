namespace Sower.Load;

/// <summary>Command-line settings. Limits keep a run bounded: at most 10,000 gardens, at most 600 s per phase, loopback only.</summary>
public sealed record LoadOptions
{
    public const int MaxGardens = 10_000;

    public string Mode { get; init; } = "";
    public Uri Endpoint { get; init; } = new("http://127.0.0.1:7150");
    public string? TokenFile { get; init; }
    public int ServerPid { get; init; }
    public int Gardens { get; init; } = 100;
    public string Label { get; init; } = "product";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(180);
    /// <summary>How long the idle server's CPU is averaged over (long enough to attach a profiler, if wanted).</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(10);
    public int Seeds { get; init; } = 2000;
    public int Concurrency { get; init; } = 16;
    public string Urls { get; init; } = "http://127.0.0.1:7160";

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("no mode given");
        var o = new LoadOptions { Mode = args[0] };
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
            var value = args[++i];
            o = name switch
            {
                "--endpoint" => o with { Endpoint = Loopback(value) },
                "--token-file" => o with { TokenFile = value },
                "--server-pid" => o with { ServerPid = Int(name, value, 1, int.MaxValue) },
                "--gardens" => o with { Gardens = Int(name, value, 1, MaxGardens) },
                "--label" => o with { Label = value },
                "--timeout" => o with { Timeout = TimeSpan.FromSeconds(Int(name, value, 1, 600)) },
                "--idle" => o with { Idle = TimeSpan.FromSeconds(Int(name, value, 1, 600)) },
                "--seeds" => o with { Seeds = Int(name, value, 1, 100_000) },
                "--concurrency" => o with { Concurrency = Int(name, value, 1, 256) },
                "--urls" => o with { Urls = Loopback(value).ToString().TrimEnd('/') },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        return o;
    }

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, out var n) && n >= min && n <= max ? n : throw new ArgumentException($"{name} must be a whole number from {min} to {max}");

    private static Uri Loopback(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.IsLoopback ? uri : throw new ArgumentException($"{value}: only loopback endpoints (the harness never loads another host)");

    public string Token() => TokenFile is null ? "" : File.ReadAllText(TokenFile).Trim();
}
