using System.Text.Json.Nodes;
using Sower.Actors.Garden;
using Sower.Messages.Activator;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>
/// The garden's activation gate (issue 14.3/14.4) with a real activator socket and the in-process gateway: an inhibited
/// garden stages, defers the activation with the reason in the log, reports the inhibition, and resumes by itself when
/// the file goes; a restart waits for the reboot lease and gives it back when no reboot follows.
/// </summary>
public sealed class RebootLockAndInhibitionTests(ITestOutputHelper output) : GardenTestKit(output)
{
    private const string D1 = "dply_aaaaaaaaaaaaaaaaaaaaaaa1";

    private GardenConfig Gated(string policyJson, string? inhibitFile = null) =>
        Config(Nixos(policyJson: policyJson)) with
        {
            Inhibit = new InhibitSettings(inhibitFile ?? Dir.File("inhibit"), [], TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)),
        };

    private string SeedLog() => string.Concat(SeedResults(D1).Select(r => (string?)r["log"] ?? ""));

    [Fact]
    public void An_inhibited_garden_stages_waits_with_the_reason_and_activates_once_the_file_is_removed()
    {
        var inhibit = Dir.File("inhibit");
        File.WriteAllText(inhibit, "db failover");
        StartHost(Gated("""{"r":{"actions":["activate"]}}""", inhibit));
        AwaitConnectedAndSynced();
        AwaitPatiently(() => Sent(GatewayProtocol.GardenInhibition).Any(p => (bool?)p["inhibited"] == true));

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        AwaitPatiently(() => SeedLog().Contains($"deferred: inhibit file {inhibit} exists; waiting for the inhibition to end"));
        Assert.Equal([ActivatorRequestTypes.Stage], Activator.Requests.Select(r => r.Type));
        Assert.Empty(Sent(GatewayProtocol.DeploymentResult));
        Assert.Equal($"inhibit file {inhibit} exists", (string?)Sent(GatewayProtocol.GardenInhibition).Last()["reason"]);

        File.Delete(inhibit);
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Equal([ActivatorRequestTypes.Stage, ActivatorRequestTypes.NixOS], Activator.Requests.Select(r => r.Type));
        var last = Sent(GatewayProtocol.GardenInhibition).Last();
        Assert.Equal(false, (bool?)last["inhibited"]);
        Assert.Null(last["reason"]);
    }

    [Fact]
    public void A_restart_waits_for_the_reboot_lock_and_releases_it_when_no_reboot_follows()
    {
        var granted = false;
        Gateway.Reply = (method, payload) => method switch
        {
            GatewayProtocol.RebootLockAcquire when !granted => GatewayReply.Success(new JsonObject
            {
                ["granted"] = false,
                ["group"] = "web",
                ["in_use"] = 2,
                ["max"] = 2,
                ["holders"] = new JsonArray("web03", "web07"),
                ["text"] = "waiting for the reboot lock (2 of 2 in use: web03, web07)",
            }),
            GatewayProtocol.RebootLockAcquire => GatewayReply.Success(new JsonObject
            {
                ["granted"] = true,
                ["group"] = "web",
                ["expires_at"] = "2026-12-05T10:30:00Z",
                ["in_use"] = 0,
                ["max"] = 0,
                ["holders"] = new JsonArray(),
            }),
            _ => FakeGardenGateway.DefaultReply(method, payload),
        };
        StartHost(Gated("""{"r":{"actions":["restart"]}}"""));
        AwaitConnectedAndSynced();

        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web", action: "restart"));
        AwaitPatiently(() => SeedLog().Contains("waiting for the reboot lock (2 of 2 in use: web03, web07)"));
        Assert.Equal(D1, (string?)Sent(GatewayProtocol.RebootLockAcquire).First()["deployment_sid"]);
        Assert.DoesNotContain(Activator.Requests, r => r.Type == ActivatorRequestTypes.NixOS);

        granted = true; // a lease frees: the garden's retry (with backoff) gets it without anyone asking
        // The test's profiles do not exist, so the reboot check cannot run: applied, with a warning that says so.
        Assert.Equal("warning", (string?)AwaitResult(D1)["result"]);
        Assert.Equal("boot", Activator.Requests.Single(r => r.Type == ActivatorRequestTypes.NixOS).Mode);
        Assert.Contains("reboot lock granted (group web, until 2026-12-05T10:30:00Z)", SeedLog());
        // The test's profiles do not exist, so the reboot check fails and no reboot follows: the lease goes back.
        AwaitPatiently(() => Sent(GatewayProtocol.RebootLockRelease).Any(p => (string?)p["deployment_sid"] == D1 && (string?)p["reason"] == "not_needed"));
        Assert.False(File.Exists(Path.Combine(Dir.Path, "state", ActivationGateActor.LeaseFileName)));
    }

    [Fact]
    public void An_activate_only_deployment_never_asks_for_the_reboot_lock()
    {
        StartHost(Gated("""{"r":{"actions":["activate"]}}"""));
        AwaitConnectedAndSynced();
        Gateway.Push(GatewayProtocol.PushDeployment, PushJson(D1, "manual", "web"));
        Assert.Equal("success", (string?)AwaitResult(D1)["result"]);
        Assert.Empty(Sent(GatewayProtocol.RebootLockAcquire));
        Assert.Empty(Sent(GatewayProtocol.GardenInhibition));
    }
}

/// <summary>The inhibit probe on real files and real processes, and the validation of its settings.</summary>
public sealed class InhibitionProbeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private InhibitSettings With(params string[] command) =>
        new(_dir.File("inhibit"), [.. command], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    [Fact]
    public async Task No_file_and_a_command_that_exits_zero_mean_not_inhibited()
    {
        Assert.Null(await InhibitionProbe.CheckAsync(With(), CancellationToken.None));
        Assert.Null(await InhibitionProbe.CheckAsync(With("/bin/true"), CancellationToken.None));
    }

    [Fact]
    public async Task A_file_a_failing_command_a_hanging_command_and_a_missing_program_each_inhibit_with_a_reason()
    {
        Assert.Equal("inhibit command /bin/false exited with 1", await InhibitionProbe.CheckAsync(With("/bin/false"), CancellationToken.None));
        Assert.Equal("inhibit command /bin/sleep did not finish within 1s", await InhibitionProbe.CheckAsync(With("/bin/sleep", "30"), CancellationToken.None));
        Assert.StartsWith("inhibit command /nonexistent/check could not run", await InhibitionProbe.CheckAsync(With("/nonexistent/check"), CancellationToken.None));
        // Arguments are passed as they are: no shell ever sees "; touch" as a command.
        var marker = _dir.File("pwned");
        Assert.Null(await InhibitionProbe.CheckAsync(With("/bin/echo", $"ok; touch {marker}"), CancellationToken.None));
        Assert.False(File.Exists(marker));
        File.WriteAllText(_dir.File("inhibit"), "");
        Assert.Equal($"inhibit file {_dir.File("inhibit")} exists", await InhibitionProbe.CheckAsync(With("/bin/true"), CancellationToken.None));
    }

    private static (InhibitSettings Settings, List<string> Problems) Parse(string json)
    {
        var problems = System.Collections.Immutable.ImmutableArray.CreateBuilder<Sower.Messages.Domain.ValidationProblem>();
        var env = new ConfigEnvironment(_ => null, false, "/home/alice", "alice", "host", "Etc/UTC");
        var settings = InhibitSettings.Parse((JsonObject)JsonNode.Parse(json)!, env, problems);
        return (settings, problems.Select(p => p.ToString()).ToList());
    }

    [Fact]
    public void Settings_default_to_run_sower_inhibit_and_accept_an_argv_command()
    {
        var (defaults, none) = Parse("{}");
        Assert.Empty(none);
        Assert.Equal(("/run/sower/inhibit", 0), (defaults.File, defaults.Command.Length));
        var (set, ok) = Parse("""{"inhibit_file":"~/hold","inhibit_command":["/usr/bin/test","-e","/run/db-ok"],"inhibit_command_timeout_seconds":3,"inhibit_poll_seconds":1}""");
        Assert.Empty(ok);
        Assert.Equal("/home/alice/hold", set.File);
        Assert.Equal(["/usr/bin/test", "-e", "/run/db-ok"], set.Command.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(3), set.CommandTimeout);
    }

    [Theory]
    [InlineData("""{"inhibit_file":"relative/path"}""", "inhibit_file")]
    [InlineData("""{"inhibit_file":42}""", "inhibit_file")]
    [InlineData("""{"inhibit_command":"pg_isready && true"}""", "never runs through a shell")]
    [InlineData("""{"inhibit_command":[]}""", "must name a program")]
    [InlineData("""{"inhibit_command":["pg_isready"]}""", "absolute path")]
    [InlineData("""{"inhibit_command":["/bin/x", 3]}""", "inhibit_command[1]")]
    [InlineData("""{"inhibit_command_timeout_seconds":0}""", "inhibit_command_timeout_seconds")]
    [InlineData("""{"inhibit_command_timeout_seconds":3600}""", "inhibit_command_timeout_seconds")]
    [InlineData("""{"inhibit_poll_seconds":"often"}""", "inhibit_poll_seconds")]
    public void Bad_settings_get_a_clear_error_naming_the_key(string json, string expected)
    {
        var (_, problems) = Parse(json);
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_inhibit_file_key_is_a_path_not_a_secret_file_to_read()
    {
        var config = _dir.Write("c.json", $$"""{"endpoint":"https://sower.example.org","access_token":"t","inhibit_file":"{{_dir.File("absent")}}"}""");
        var env = new ConfigEnvironment(_ => null, false, "/home/alice", "alice", "host", "Etc/UTC");
        var result = GardenConfigLoader.Load(config, env, hasStoredCredential: false);
        Assert.True(result.Ok, string.Join("; ", result.Problems));
        Assert.Equal(_dir.File("absent"), result.Config!.EffectiveInhibit.File);
    }
}
