using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sower.Actors.Server.Tokens;
using Sower.Server.Configuration;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Auth;

/// <summary>Whether the first-start admin token check has finished (a readiness condition).</summary>
public sealed class AdminTokenBootstrapState
{
    private volatile bool _done;
    public bool Done => _done;
    public void MarkDone() => _done = true;
}

public sealed class AdminTokenBootstrapHealthCheck(AdminTokenBootstrapState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Done ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("admin token bootstrap pending"));
}

/// <summary>On first start (a token store that never issued a token) creates one admin token, writes it to
/// <c>&lt;data_dir&gt;/admin-token</c> (mode 0600) and prints only that file's path to stdout (the token itself only when the
/// file could not be written: then the printed token is the only copy). The store decides atomically, so later
/// starts, and other nodes, never create another.</summary>
public sealed class AdminTokenBootstrapService(
    ServerOptions options,
    IServiceProvider services,
    AdminTokenBootstrapState state,
    IHostApplicationLifetime lifetime,
    ILogger<AdminTokenBootstrapService> logger) : BackgroundService
{
    // The store issues the token once and replies once: a reply that arrives after the ask gave up would lose the only
    // plaintext (a retry then answers "already bootstrapped"). So the ask waits long, and says so while it waits.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan SlowNotice = TimeSpan.FromSeconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Wait until every hosted service (the actor system included) has started.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try { await started.Task; }
            catch (OperationCanceledException) { return; }
        }

        var registry = services.GetRequiredService<ActorRegistry>();
        var asked = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var store = await registry.GetAsync<AccessTokensActorKey>(stoppingToken);
                var ask = store.Ask<object>(BootstrapAdminToken.Instance, AskTimeout, stoppingToken);
                var retried = asked;
                asked = true;
                while (await Task.WhenAny(ask, Task.Delay(SlowNotice, stoppingToken)) != ask)
                {
                    stoppingToken.ThrowIfCancellationRequested();
                    logger.LogInformation("Still waiting for the token store to answer the admin-token bootstrap (busy machine?)");
                }
                var reply = await ask;
                if (reply is AccessTokenIssued issued) Publish(issued.Plaintext);
                else if (retried && !File.Exists(options.AdminTokenFile))
                {
                    logger.LogError("The initial admin token was created but its answer was lost; create one with \"sower-server {Command}\" (see README, Break-glass)",
                        BreakGlassCommand.Name);
                }
                state.MarkDone();
                return;
            }
            catch (Exception e) when (e is AskTimeoutException or TimeoutException)
            {
                logger.LogWarning("The token store did not answer the admin-token bootstrap within {Timeout}; retrying", AskTimeout);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Publish(string plaintext)
    {
        var path = options.AdminTokenFile;
        string? writeError = null;
        try
        {
            WritePrivateFile(path, plaintext + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            writeError = e.Message;
        }
        if (writeError is null)
        {
            // Only the path: stdout ends up in logs (the journal, a redirected file) that others may read and that keep it for weeks.
            Console.Out.WriteLine(RunsUnderSystemd(Environment.GetEnvironmentVariable)
                ? $"Created the initial admin token: it is in {path} (mode 0600), and not printed because the journal would keep it."
                : $"Created the initial admin token: it is in {path} (mode 0600), and not printed because logs would keep it.");
        }
        else
        {
            Console.Out.WriteLine("Created the initial admin token (shown once):");
            Console.Out.WriteLine(plaintext);
        }
        Console.Out.Flush();
        if (writeError is not null)
        {
            logger.LogError("Could not write the admin token to {Path}: {Message}. The token printed on stdout is the only copy.", path, writeError);
        }
    }

    /// <summary>
    /// Whether stdout goes to the journal: systemd sets <c>INVOCATION_ID</c> for every unit it starts,
    /// <c>JOURNAL_STREAM</c> when stdout or stderr is connected to the journal, <c>NOTIFY_SOCKET</c> for Type=notify.
    /// </summary>
    public static bool RunsUnderSystemd(Func<string, string?> environment) =>
        new[] { "INVOCATION_ID", "JOURNAL_STREAM", "NOTIFY_SOCKET" }.Any(v => !string.IsNullOrEmpty(environment(v)));

    /// <summary>Writes through a 0600 temp file and renames it, so the file never exists readable or half written.</summary>
    public static void WritePrivateFile(string path, string content)
    {
        var temp = path + ".tmp";
        var streamOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, streamOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
