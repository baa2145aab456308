using Sower.Messages.Webhooks;
using Sower.Server.Configuration;

namespace Sower.Server.Tests.Infra;

/// <summary><c>webhooks.hooks</c> in the server config file: declared webhooks, their secrets read from files, every problem with its path.</summary>
public sealed class ConfiguredWebhookOptionsTests : IDisposable
{
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-webhook-options-").FullName;
    private static readonly Dictionary<string, string?> NoEnv = [];

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_dir, "server.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Declared_webhooks_get_their_secret_from_the_file_and_a_sid_that_stays_the_same_for_the_same_name()
    {
        File.WriteAllText(Path.Combine(_dir, "chat.secret"), Secret + "\n");
        var config = WriteConfig("""
            { "webhooks": { "max_attempts": 5, "hooks": [
                { "name": "chat", "url": "https://chat.example.org/hooks/sower", "secret_file": "chat.secret",
                  "events": ["deployment.failed", "garden.stale", "deployment.failed"], "format": "slack" },
                { "name": "ops-pager", "url": "http://10.0.0.7:9000/", "secret_file": "chat.secret", "events": ["rollout.halted"] } ] } }
            """);
        var result = ServerOptionsLoader.Load(["--config", config], NoEnv);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var hooks = result.Options!.Webhooks.Hooks;
        Assert.Equal(["chat", "ops-pager"], hooks.Select(h => h.Name));
        var chat = hooks[0].Webhook;
        Assert.Equal(Secret, chat.Secret);
        Assert.Equal(["deployment.failed", "garden.stale"], chat.Events.ToArray());
        Assert.Equal(WebhookFormat.Slack, chat.Format);
        Assert.Equal(WebhookFormat.Json, hooks[1].Webhook.Format);
        Assert.True(Sower.Messages.Domain.Sid.IsValid(chat.Sid, Webhook.Prefix), chat.Sid);
        Assert.Equal(ConfiguredWebhooks.SidOf("chat"), chat.Sid);
        Assert.NotEqual(chat.Sid, hooks[1].Webhook.Sid);
        Assert.Equal(5, result.Options.Webhooks.MaxAttempts);

        // --check-config does not read secret files (they exist only where the service runs), but checks the rest.
        File.Delete(Path.Combine(_dir, "chat.secret"));
        Assert.True(ServerOptionsLoader.Check(config).IsValid);
    }

    [Fact]
    public void Bad_declarations_are_refused_with_every_problem_and_its_path()
    {
        File.WriteAllText(Path.Combine(_dir, "short.secret"), "too-short");
        var config = WriteConfig("""
            { "webhooks": { "hooks": [
                { "name": "Chat Room", "url": "ftp://chat.example.org/", "secret_file": "short.secret", "events": ["deployment.exploded"], "format": "xml" },
                { "name": "ok", "url": "https://user:pw@example.org/", "secret": "inline-secrets-are-refused", "events": [] },
                { "name": "ok", "url": "https://example.org/", "secret_file": "missing.secret", "events": "deployment.failed" },
                "not an object" ] } }
            """);
        var problems = ServerOptionsLoader.Load(["--config", config], NoEnv).Problems;
        foreach (var expected in new[]
                 {
                     "webhooks.hooks[0].name: required, 1-63 lower-case letters",
                     "webhooks.hooks[0].url: ",
                     "webhooks.hooks[0].secret_file: the file's secret: required, 16 to 1024 characters",
                     "webhooks.hooks[0].events: unknown \"deployment.exploded\"",
                     "webhooks.hooks[0].format: must be json or slack",
                     "webhooks.hooks[1].secret: unknown setting",
                     "webhooks.hooks[1].secret_file: required",
                     "webhooks.hooks[1].url: ",
                     "webhooks.hooks[1].events: at least one of",
                     "webhooks.hooks[2].name: \"ok\" is used twice",
                     "webhooks.hooks[2].secret_file: \"" + Path.Combine(_dir, "missing.secret") + "\" not found",
                     "webhooks.hooks[2].events: must be a list of event names",
                     "webhooks.hooks[3]: must be an object",
                 })
        {
            Assert.True(problems.Any(p => p.StartsWith(expected, StringComparison.Ordinal) || p.Contains(expected, StringComparison.Ordinal)),
                $"no problem like \"{expected}\" in:\n{string.Join("\n", problems)}");
        }
        // The secret is never echoed back in a problem.
        Assert.DoesNotContain(problems, p => p.Contains("inline-secrets-are-refused", StringComparison.Ordinal) || p.Contains("too-short\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Hooks_must_be_a_list_and_can_come_from_the_environment_as_json()
    {
        Assert.Contains("webhooks.hooks: must be a list of objects",
            ServerOptionsLoader.Load(["--config", WriteConfig("""{ "webhooks": { "hooks": { "name": "chat" } } }""")], NoEnv).Problems);
        File.WriteAllText(Path.Combine(_dir, "env.secret"), Secret);
        var env = new Dictionary<string, string?>
        {
            ["SOWER_WEBHOOKS__HOOKS"] = $$"""[{"name":"env","url":"https://example.org/","secret_file":"{{Path.Combine(_dir, "env.secret")}}","events":["garden.failing"]}]""",
        };
        var result = ServerOptionsLoader.Load([], env);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal("env", Assert.Single(result.Options!.Webhooks.Hooks).Name);
        Assert.Contains("webhooks.hooks: not valid JSON", Assert.Single(ServerOptionsLoader.Load([], new Dictionary<string, string?> { ["SOWER_WEBHOOKS__HOOKS"] = "[" }).Problems));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
