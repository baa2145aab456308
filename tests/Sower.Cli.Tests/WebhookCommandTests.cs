using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary><c>sower webhook …</c> as a real process against a real server: admin only, the secret read from a file and
/// never printed, hostile URLs refused with the server's reason.</summary>
[Collection(ServerCollection.Name)]
public sealed class WebhookCommandTests(TestServer server) : IDisposable
{
    private const string Secret = "cli-webhook-secret-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-cli-whk-").FullName;

    private string SecretFile()
    {
        var path = Path.Combine(_dir, "secret");
        File.WriteAllText(path, Secret + "\n");
        return path;
    }

    [Fact]
    public async Task Add_list_test_outbox_and_remove_a_webhook_without_ever_printing_its_secret()
    {
        // Nothing listens on port 1: the test delivery fails and stays in the outbox with its error.
        var add = Sow.Run(server, "webhook", "add", "http://127.0.0.1:1/hook", "--secret-file", SecretFile(),
            "-e", "deployment.failed", "-e", "garden.stale", "--format", "slack", "--json");
        Assert.True(add.ExitCode == 0, add.Stderr);
        var created = SowerProcess.JsonLine(add);
        var sid = (string)created["sid"]!;
        Assert.Equal(["sid", "url", "events", "format", "created_at"], created.Select(p => p.Key));
        Assert.Equal("slack", (string?)created["format"]);

        var list = Sow.Run(server, "webhook", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(sid, list.Stdout);
        Assert.Contains("deployment.failed,garden.stale", list.Stdout);

        var test = Sow.Run(server, "webhook", "test", sid);
        Assert.True(test.ExitCode == 0, test.Stderr);
        Assert.Contains($"test notification queued for {sid} (idempotency key webhook.test:", test.Stdout);

        await Sow.Eventually(() =>
        {
            var outbox = SowerProcess.JsonLine(Sow.Run(server, "webhook", "outbox", "--json"));
            return outbox["pending_entries"]!.AsArray().Any(e => (string?)e!["webhook_sid"] == sid && (int)e["attempts"]! >= 1 && e["last_error"] is not null);
        }, "the failed test delivery in the outbox");
        var table = Sow.Run(server, "webhook", "outbox");
        Assert.Contains("pending: ", table.Stdout);
        Assert.Contains(sid, table.Stdout);

        var remove = Sow.Run(server, "webhook", "remove", sid);
        Assert.Equal(0, remove.ExitCode);
        Assert.Equal($"webhook {sid} removed", remove.Stdout.Trim());
        var again = Sow.Run(server, "webhook", "remove", sid);
        Assert.Equal(3, again.ExitCode);
        Assert.Equal($"error: no webhook {sid}", again.Stderr.Trim());

        foreach (var output in new[] { add, list, test, table, remove, again })
        {
            Assert.DoesNotContain(Secret, output.Stdout + output.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Hostile_urls_a_missing_secret_file_and_non_admin_tokens_are_refused_with_clear_errors()
    {
        var hostile = Sow.Run(server, "webhook", "add", "file:///etc/shadow", "--secret-file", SecretFile(), "-e", "deployment.failed");
        Assert.Equal(1, hostile.ExitCode);
        Assert.Equal("error: the server rejected the request: url: scheme file is not allowed, only http and https", hostile.Stderr.Trim());
        Assert.DoesNotContain(Secret, hostile.Stdout + hostile.Stderr, StringComparison.Ordinal);

        var noFile = Sow.Run(server, "webhook", "add", "https://hooks.example.org/", "--secret-file", Path.Combine(_dir, "absent"), "-e", "deployment.failed");
        Assert.Equal(2, noFile.ExitCode);
        Assert.StartsWith("error: cannot read the secret file ", noFile.Stderr.Trim());

        var token = Sow.Run(server, "token", "create", "--description", "not an admin", "--role", "deployment:write", "--role", "garden:read").Stdout.Trim();
        foreach (var args in new[]
        {
            new[] { "webhook", "list" }, ["webhook", "outbox"], ["webhook", "test", "whk_aaaaaaaaaaaaaaaaaaaaaaaa"], ["webhook", "remove", "whk_aaaaaaaaaaaaaaaaaaaaaaaa"],
            ["webhook", "add", "https://hooks.example.org/", "--secret-file", SecretFile(), "-e", "deployment.failed"],
        })
        {
            var refused = SowerProcess.Run(Sow.Env(server, token), null, args);
            Assert.Equal(1, refused.ExitCode);
            Assert.Equal("error: the access token lacks the admin role needed for this", refused.Stderr.Trim());
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
