using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sower.Cli.Tests.Support;

/// <summary>All CLI-against-server tests share one real server (start-up dominates their cost); each test uses its own
/// seed and garden names, so they do not see each other's rollouts.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<TestServer>
{
    public const string Name = "server";
}

/// <summary>Helpers for tests that drive the real CLI against the test server.</summary>
public static class Sow
{
    public static Dictionary<string, string?> Env(TestServer server, string? token = null) => new()
    {
        ["SOWER_ENDPOINT"] = server.Url,
        ["SOWER_ACCESS_TOKEN"] = token ?? server.AdminToken,
    };

    public static CliResult Run(TestServer server, params string[] args) => SowerProcess.Run(Env(server), null, args);

    /// <summary>A realised store path (nix-store --add) of a nixos-looking system, unique per call.</summary>
    public static string NixosArtifact(string host, string? marker = "nixos-version")
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("sower-artifact-").FullName, $"nixos-system-{host}-24.05");
        Directory.CreateDirectory(dir);
        if (marker is not null) File.WriteAllText(Path.Combine(dir, marker), "24.05.20260101.abcdef0\n");
        File.WriteAllText(Path.Combine(dir, "system"), "x86_64-linux\n");
        File.WriteAllText(Path.Combine(dir, "unique"), Guid.NewGuid().ToString());
        var add = Process.Start(new ProcessStartInfo("nix-store", ["--add", dir]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var path = add.StandardOutput.ReadToEnd().Trim();
        add.WaitForExit();
        Assert.True(add.ExitCode == 0, "nix-store --add failed: " + add.StandardError.ReadToEnd());
        return path;
    }

    public static JsonObject Policy(params (string Name, string[] Actions, string[]? Triggers)[] rules)
    {
        var policy = new JsonObject();
        foreach (var (name, actions, triggers) in rules)
        {
            var rule = new JsonObject { ["actions"] = new JsonArray([.. actions.Select(a => (JsonNode?)a)]) };
            if (triggers is not null) rule["triggers"] = new JsonArray([.. triggers.Select(t => (JsonNode?)t)]);
            policy[name] = rule;
        }
        return policy;
    }

    public static JsonObject NixosSubscription(string seedName, JsonObject policy) => new()
    {
        ["seed_name"] = seedName,
        ["seed_type"] = "nixos",
        ["rules"] = new JsonArray(),
        ["timezone"] = "Etc/UTC",
        ["policy"] = policy,
    };

    /// <summary>Exactly one "error: ..." line on stderr (warnings aside), and never a stack trace.</summary>
    public static string SingleError(CliResult result)
    {
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("warning: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, $"expected one error line, got:\n{result.Stderr}");
        Assert.StartsWith("error: ", errors[0]);
        return errors[0];
    }

    public static async Task Eventually(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        bool Check()
        {
            try { return condition(); }
            catch (Exception e) when (e is AggregateException or HttpRequestException) { return false; } // not in the read model yet
        }

        while (!Check())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
