using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Hosting;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Server.Configuration;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Auth;

/// <summary><c>sower-server admin-token [--config FILE] [--data-dir DIR] [--valid-days N] [--output FILE]</c>: the
/// break-glass for when every admin token is lost. Run on the server host as the service user, with the server
/// stopped: it opens the same journal as the server (same configuration: SQLite in the data directory, or the
/// configured PostgreSQL), appends one new admin token through the token store's own rules, prints it once and
/// writes it to a 0600 file whose path it prints. It refuses while a server holds the data directory's lock.</summary>
public static class BreakGlassCommand
{
    public const string Name = "admin-token";
    public const int DefaultValidDays = 7;
    public const int MaxValidDays = 3650;
    /// <summary>EX_TEMPFAIL: a server is running on this data directory; stop it and try again.</summary>
    public const int ServerRunningExitCode = 75;
    /// <summary>EX_SOFTWARE: the journal could not be written.</summary>
    public const int FailedExitCode = 70;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args, IDictionary<string, string?> env, TextWriter stdout, TextWriter stderr)
    {
        var rest = new List<string>();
        var validDays = DefaultValidDays;
        string? output = null;
        var problems = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inline) = args[i].IndexOf('=') is > 0 and var eq ? (args[i][..eq], args[i][(eq + 1)..]) : (args[i], null);
            if (name is not ("--valid-days" or "--output"))
            {
                rest.Add(args[i]);
                continue;
            }
            var value = inline ?? (i + 1 < args.Length ? args[++i] : null);
            if (value is null) problems.Add($"arguments: {name} needs a value");
            else if (name == "--output") output = value;
            else if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out validDays) || validDays is < 1 or > MaxValidDays)
                problems.Add($"--valid-days: must be a whole number of days from 1 to {MaxValidDays}, got \"{value}\"");
        }

        var loaded = ServerOptionsLoader.LoadAndPrepare([.. rest], env);
        if (!loaded.IsValid || problems.Count > 0)
        {
            loaded.WriteProblems(stderr);
            foreach (var problem in problems) stderr.WriteLine(ServerOptionsResult.ProblemPrefix + problem);
            return ServerOptionsResult.ExitCode;
        }
        var options = loaded.Options!;

        using var dataDirLock = DataDirectoryLock.TryExclusive(options.DataDir);
        if (dataDirLock is null)
        {
            stderr.WriteLine($"sower-server admin-token: a sower-server is running on {options.DataDir} (it holds {DataDirectoryLock.PathIn(options.DataDir)}). " +
                             "Stop it first (e.g. systemctl stop sower-server), then run this again; with PostgreSQL, stop every node of the cluster.");
            return ServerRunningExitCode;
        }

        var path = Path.GetFullPath(output ?? Path.Combine(options.DataDir,
            "admin-token.break-glass-" + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)));
        AccessTokenIssued issued;
        try
        {
            issued = await MintAsync(options, validDays);
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException or InvalidOperationException)
        {
            stderr.WriteLine($"sower-server admin-token: could not write the token store's journal: {e.Message}");
            return FailedExitCode;
        }

        stdout.WriteLine($"Created a break-glass admin token {issued.TokenId}, valid through {LocalDatePattern.Iso.Format(issued.Token.ExpiresOn!.Value)} (UTC).");
        stdout.WriteLine($"Shown once; also written to {path} (mode 0600). Use it to create a proper admin token, then revoke this one:");
        stdout.WriteLine(issued.Plaintext);
        stdout.Flush();
        try
        {
            AdminTokenBootstrapService.WritePrivateFile(path, issued.Plaintext + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"sower-server admin-token: could not write {path}: {e.Message}. The token printed above is the only copy.");
        }
        return 0;
    }

    /// <summary>Starts a minimal actor system on the server's persistence (no cluster, no HTTP), runs the token store
    /// as a plain persistent actor, asks it for the token and stops.</summary>
    private static async Task<AccessTokenIssued> MintAsync(ServerOptions options, int validDays)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddHealthChecks();
        builder.Services.AddAkka("sower-break-glass", akka => akka
            .ConfigureLoggers(l => { l.LogLevel = Akka.Event.LogLevel.WarningLevel; l.ClearLoggers(); l.AddLoggerFactory(); })
            .WithSowerPersistence(options.Persistence)
            .WithAccessTokenSerializer()
            .WithActors((system, registry) => registry.Register<AccessTokensActorKey>(system.ActorOf(
                Props.Create(() => new AccessTokensActor(SystemClock.Instance, null,
                    new AccessTokensSettings(100, new AccessTokenLimits(options.MaxTokenLifetimeDays)))), AccessTokensActor.Id))));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var store = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<AccessTokensActorKey>();
            var today = SystemClock.Instance.GetCurrentInstant().InUtc().Date;
            var command = new CreateAccessToken($"break-glass admin token ({today:yyyy-MM-dd})", [Roles.Admin], today.PlusDays(validDays),
                Actor.ServerAs("sower-server admin-token (break-glass)"), ByServer: true);
            return await store.Ask<object>(command, AskTimeout) switch
            {
                AccessTokenIssued issued => issued,
                AccessTokenError e => throw new InvalidOperationException(e.Message),
                var other => throw new InvalidOperationException($"unexpected reply {other}"),
            };
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
