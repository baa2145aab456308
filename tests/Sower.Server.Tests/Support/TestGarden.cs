// The test garden itself is shared by every project that speaks to the gateway: tests/Sower.Testing/Gateway/TestGarden.cs.
global using Sower.Testing.Gateway;
using System.Text.Json;

namespace Sower.Server.Tests.Support;

/// <summary>The test garden's entry points that take this project's <see cref="TestServer"/>.</summary>
public static class TestServerGardens
{
    extension(TestGarden)
    {
        public static Task<TestGarden> EnrollAndConnect(TestServer server, string name, string? hostIdentifier = null, bool join = true) =>
            TestGarden.EnrollAndConnect(server.BaseAddress, server.Admin, name, hostIdentifier, join);

        public static Task<TestGarden> Connect(TestServer server, string sid, string name, string credential) =>
            TestGarden.Connect(server.BaseAddress, sid, name, credential);
    }
}

public static class Subscriptions
{
    public static readonly object RealtimePolicy = new Dictionary<string, object>
    {
        ["live"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "manual", "poll_on_connect", "scheduled" } },
    };

    public static readonly object ConfirmRealtimePolicy = new Dictionary<string, object>
    {
        ["careful"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "manual" }, confirm = true },
    };

    public static object NixOS(string name, string seedName, object? policy = null, object? rules = null, string? schedule = null) => new Dictionary<string, object?>
    {
        ["name"] = name,
        ["seed_name"] = seedName,
        ["seed_type"] = "nixos",
        ["rules"] = rules ?? Array.Empty<object>(),
        ["schedule"] = schedule,
        ["timezone"] = "Etc/UTC",
        ["policy"] = policy,
    };
}

public static class Seeds
{
    private static int _counter;

    /// <summary>A valid, unique store path (Nix base-32 hash of 32 characters).</summary>
    public static string Artifact(string name)
    {
        const string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
        var n = Interlocked.Increment(ref _counter) + Random.Shared.Next(1_000_000) * 1000;
        var chars = new char[32];
        for (var i = 0; i < 32; i++) { chars[i] = alphabet[(n + i * 7 + Random.Shared.Next(32)) % 32]; }
        return "/nix/store/" + new string(chars) + "-" + name;
    }

    public static async Task<JsonElement> Submit(TestServer server, string name, string? artifact = null, string query = "", params (string Key, string Value)[] tags)
    {
        var (status, body) = await server.PostJson("/api/v1/seeds" + query, new
        {
            name,
            seed_type = "nixos",
            artifact = artifact ?? Artifact("nixos-system-" + name + "-24.05"),
            tags = tags.Select(t => new { key = t.Key, value = t.Value }).ToArray(),
        });
        Assert.True(status is 200 or 201, $"submit answered {status}: {body}");
        return body;
    }
}
