using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sower.Messages.Activator;
using Xunit.Abstractions;

namespace Sower.Garden.Tests;

/// <summary>
/// The real sower-garden against the real sower-server and a fake activator on a Unix socket: enroll, connect, sync,
/// deploy, lose and regain the server with backoff, and a garden killed mid-activation whose result is reconciled from
/// the system profile after its restart, the activation never repeated.
/// </summary>
public sealed class EndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private FakeActivatorServer _activator = null!;
    private ServerProcess _server = null!;

    private const string ArtifactA = "/nix/store/0000000000000000000000000000000a-nixos-system-web01-1";
    private const string ArtifactB = "/nix/store/0000000000000000000000000000000b-nixos-system-web01-2";

    public async Task InitializeAsync()
    {
        _activator = new FakeActivatorServer(_dir.File("act.sock"));
        _server = new ServerProcess(_dir.File("server"));
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var line in _server.Lines.TakeLast(40)) output.WriteLine("server: " + line);
        _server.Dispose();
        await _activator.DisposeAsync();
        _dir.Dispose();
    }

    private string GardenConfig(string token, string policy) => _dir.Write("client.json", new JsonObject
    {
        ["endpoint"] = _server.Url,
        ["access_token"] = token,
        ["name"] = "web01",
        ["state_directory"] = _dir.File("garden"),
        ["admin_socket"] = _dir.File("admin.sock"),
        ["activator_socket"] = _activator.SocketPath,
        // Parked enrollments and deleted gardens are checked every second at most here (default 60 s).
        ["timeouts"] = new JsonObject { ["enrollment_poll"] = 1 },
        ["profiles"] = new JsonObject { ["system_profile"] = _dir.File("p/system"), ["current_system"] = _dir.File("p/cur"), ["booted_system"] = _dir.File("p/boot") },
        ["subscriptions"] = new JsonObject { ["web"] = new JsonObject { ["seed_type"] = "nixos", ["seed_name"] = "web01", ["policy"] = JsonNode.Parse(policy) } },
    }.ToJsonString());

    private async Task SubmitAsync(string token, string artifact) =>
        await _server.CallAsync(HttpMethod.Post, "/api/v1/seeds", token,
            new JsonObject { ["name"] = "web01", ["seed_type"] = "nixos", ["artifact"] = artifact, ["tags"] = new JsonArray() });

    private async Task<JsonNode> DeploymentAsync(string sid) => await _server.CallAsync(HttpMethod.Get, $"/api/v1/deployments/{sid}", _server.AdminToken);

    private async Task<JsonNode> AwaitDeploymentAsync(string sid, Func<JsonNode, bool> done)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonNode last = new JsonObject();
        while (DateTime.UtcNow < until)
        {
            last = await DeploymentAsync(sid);
            if (done(last)) return last;
            await Task.Delay(250);
        }
        throw new TimeoutException($"deployment {sid} never reached the expected state: {last.ToJsonString()}");
    }

    private string AdminSocket(string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_dir.File("admin.sock")));
        using var stream = new NetworkStream(socket);
        stream.Write(Encoding.UTF8.GetBytes(request + "\n"));
        return new StreamReader(stream).ReadToEnd();
    }

    private async Task<string> FirstDeploymentSidAsync()
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var list = await _server.CallAsync(HttpMethod.Get, "/api/v1/deployments", _server.AdminToken);
            if (list["items"] is JsonArray { Count: > 0 } items) return (string)items[^1]!["sid"]!;
            await Task.Delay(250);
        }
        throw new TimeoutException("no deployment listed");
    }

    private static void AwaitTrue(Func<bool> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until) { if (condition()) return; Thread.Sleep(100); }
        throw new TimeoutException(what);
    }

    private int _generation;

    /// <summary>What the real activator's <c>nix-env --profile … --set</c> does to the configured system profile.</summary>
    private void SetSystemProfile(string artifact)
    {
        var profile = _dir.File("p/system");
        Directory.CreateDirectory(Path.GetDirectoryName(profile)!);
        var link = $"{profile}-{Interlocked.Increment(ref _generation)}-link";
        File.CreateSymbolicLink(link, artifact);
        File.CreateSymbolicLink(profile + ".tmp", Path.GetFileName(link));
        File.Move(profile + ".tmp", profile, overwrite: true);
    }

    private async Task<int> ActivateAsync(ActivatorRequest r, Task<int>? hold = null)
    {
        if (r.Type != ActivatorRequestTypes.NixOS) return 0;
        if (hold is not null) await hold;
        SetSystemProfile(r.Path!);
        return 0;
    }

    [Fact]
    public async Task Enroll_sync_deploy_reconnect_and_a_kill_mid_activation_that_is_reconciled_and_never_repeated()
    {
        var token = await _server.CreateTokenAsync("garden:register", "seed:write");
        await SubmitAsync(token, ArtifactA);
        // Manual-only policy: nothing but our admin-socket deploys creates deployments, so every activation is accounted for.
        var config = GardenConfig(token, """{"by-hand":{"actions":["activate"],"triggers":["manual"]}}""");

        _activator.Behaviour = r => ActivateAsync(r);
        var garden = new GardenProcess(config);
        string interrupted;
        var hang = new TaskCompletionSource<int>();
        try
        {
            garden.WaitForLine("garden session established", TimeSpan.FromSeconds(30));
            AwaitTrue(() => AdminSocket("""{"v":1,"id":"s","kind":"status"}""").Contains("\"sid\":\"sub_", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "subscriptions synced");

            // Deploy A by hand through the admin socket: the server checks policy, creates and pushes; the garden runs it.
            Assert.Contains("deployment enqueued", AdminSocket("""{"v":1,"id":"d1","kind":"deploy","payload":{"seed_type":"nixos","sid":null,"force":false}}"""));
            AwaitTrue(() => _activator.Requests.Any(r => r.Type == ActivatorRequestTypes.NixOS && r.Path == ArtifactA), TimeSpan.FromSeconds(20), "activation of A");
            var first = await FirstDeploymentSidAsync();
            var done = await AwaitDeploymentAsync(first, d => (string?)d["result"] == "success");
            Assert.Equal("activate", (string?)done["seeds"]![0]!["executed_action"]);
            Assert.Contains("[garden] activating web01 (nixos) with mode: switch", (string)done["seeds"]![0]!["log"]!);

            // The server goes away and comes back on the same port: the garden reconnects by itself.
            // (The switch of A already reconnected once, to confirm its magic rollback: count the sessions from here.)
            var sessions = garden.Lines.Count(l => l.Contains("garden session established", StringComparison.Ordinal));
            _server.Kill();
            garden.WaitForLine("Connection to the server lost", TimeSpan.FromSeconds(30));
            await _server.StartAsync();
            AwaitTrue(() => garden.Lines.Count(l => l.Contains("garden session established", StringComparison.Ordinal)) > sessions, TimeSpan.FromSeconds(60), "reconnected");

            // B's activation hangs; the garden is killed in the middle of it.
            await SubmitAsync(token, ArtifactB);
            _activator.Behaviour = r => ActivateAsync(r, r.Path == ArtifactB ? hang.Task : null);
            Assert.Contains("deployment enqueued", AdminSocket("""{"v":1,"id":"d2","kind":"deploy","payload":{"seed_type":"nixos","sid":null,"force":false}}"""));
            AwaitTrue(() => _activator.Requests.Any(r => r.Type == ActivatorRequestTypes.NixOS && r.Path == ArtifactB), TimeSpan.FromSeconds(20), "activation of B started");
            var status = JsonNode.Parse(AdminSocket("""{"v":1,"id":"s2","kind":"status"}""").Split('\n')[0])!;
            interrupted = (string)status["status"]!["active_deployments"]![0]!;
            garden.Signal(GardenProcess.SIGKILL);
            garden.WaitForExit(TimeSpan.FromSeconds(10));
        }
        finally
        {
            foreach (var line in garden.Lines) output.WriteLine("garden-1: " + line);
            garden.Dispose();
        }

        // The activator is no child of the garden: it finishes the switch alone and sets the profile.
        hang.SetResult(0);
        using var again = new GardenProcess(config);
        try
        {
            var result = await AwaitDeploymentAsync(interrupted, d => (string?)d["state"] == "completed");
            Assert.Equal("success", (string?)result["result"]);
            Assert.Contains($"was interrupted by a garden restart; reconciled from the profile: the profile {_dir.File("p/system")} (system-2-link) points at {ArtifactB}",
                (string)result["seeds"]![0]!["log"]!);
            Assert.Equal("activate", (string?)result["seeds"]![0]!["executed_action"]);
            await Task.Delay(1000); // room for a replay by the server
            Assert.Single(_activator.Requests, r => r.Type == ActivatorRequestTypes.NixOS && r.Path == ArtifactB);
            Assert.Equal(1, (await _server.CallAsync(HttpMethod.Get, "/api/v1/gardens", _server.AdminToken))["total"]!.GetValue<int>()); // never a second garden
        }
        finally
        {
            foreach (var line in again.Lines) output.WriteLine("garden-2: " + line);
        }
    }

    [Fact]
    public async Task A_garden_that_journaled_its_subscriptions_has_loaded_neither_ADO_NET_nor_the_app_config_reader()
    {
        // The garden's lean journal is on SQLite's C API and Akka's app.config lookup reads nothing (NoAppConfig): these
        // assemblies would otherwise stay resident for the life of the daemon (docs/benchmarks.md, "Garden").
        var token = await _server.CreateTokenAsync("garden:register", "seed:write");
        using var garden = new GardenProcess(GardenConfig(token, """{"by-hand":{"actions":["activate"],"triggers":["manual"]}}"""));
        try
        {
            garden.WaitForLine("garden session established", TimeSpan.FromSeconds(30));
            AwaitTrue(() => AdminSocket("""{"v":1,"id":"s","kind":"status"}""").Contains("\"sid\":\"sub_", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "subscriptions synced");
            var mapped = File.ReadAllLines($"/proc/{garden.Pid}/maps").Select(l => Path.GetFileName(l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last())).ToHashSet();
            Assert.Contains("libe_sqlite3.so", mapped); // the journal is open
            Assert.DoesNotContain("System.Data.Common.dll", mapped);
            Assert.DoesNotContain("Microsoft.Data.Sqlite.dll", mapped);
            Assert.DoesNotContain("System.ComponentModel.TypeConverter.dll", mapped);
            Assert.DoesNotContain("System.Net.WebClient.dll", mapped);
        }
        finally
        {
            foreach (var line in garden.Lines) output.WriteLine("garden: " + line);
        }
    }

    [Fact]
    public async Task An_admin_deploy_under_a_confirm_rule_answers_approval_required_from_the_servers_reply()
    {
        var token = await _server.CreateTokenAsync("garden:register", "seed:write");
        await SubmitAsync(token, ArtifactA);
        var config = GardenConfig(token, """{"careful":{"actions":["activate"],"triggers":["manual"],"confirm":true}}""");
        using var garden = new GardenProcess(config);
        try
        {
            garden.WaitForLine("garden session established", TimeSpan.FromSeconds(30));
            AwaitTrue(() => AdminSocket("""{"v":1,"id":"s","kind":"status"}""").Contains("\"sid\":\"sub_", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "subscriptions synced");
            var reply = AdminSocket("""{"v":1,"id":"d","kind":"deploy","payload":{"seed_type":"nixos","sid":null,"force":false}}""");
            Assert.Contains("""{"v":1,"id":"d","kind":"error","data":"approval required"}""", reply);
            Assert.Contains("""{"v":1,"id":"d","kind":"complete","exit_code":1}""", reply);
            var parked = await AwaitDeploymentAsync(await FirstDeploymentSidAsync(), d => (string?)d["state"] == "awaiting_approval");
            Assert.Equal("manual", (string?)parked["trigger"]);
            Assert.Empty(_activator.Requests);
        }
        finally
        {
            foreach (var line in garden.Lines) output.WriteLine("garden: " + line);
        }
    }

    private async Task<JsonArray> GardensAsync() => (JsonArray)(await _server.CallAsync(HttpMethod.Get, "/api/v1/gardens", _server.AdminToken))["items"]!;

    private static string SessionSid(string line) => System.Text.RegularExpressions.Regex.Match(line, @"sid=(grdn_[a-z0-9]+)").Groups[1].Value;

    private static int Count(GardenProcess garden, string text) => garden.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task A_deleted_garden_stays_deleted_retrying_slowly_until_an_admin_restores_it()
    {
        // Deleting a garden revokes its credential (REFERENCE §5.4); the garden re-enrolls, and the server refuses its
        // host identifier (issue 12, finding 5) until an admin restores it: then it comes back under the same sid.
        var token = await _server.CreateTokenAsync("garden:register");
        var config = GardenConfig(token, """{"live":{"actions":["activate"],"triggers":["manual"]}}""");
        using var garden = new GardenProcess(config);
        try
        {
            var firstSid = SessionSid(garden.WaitForLine("garden session established", TimeSpan.FromSeconds(30)));
            await _server.CallAsync(HttpMethod.Delete, $"/api/v1/gardens/{firstSid}", _server.AdminToken);

            var refused = garden.WaitForLine("garden was deleted; an admin must restore it", TimeSpan.FromSeconds(30));
            Assert.Contains($"sower garden restore {firstSid}", refused);
            var at = DateTime.UtcNow;
            Thread.Sleep(TimeSpan.FromSeconds(4));
            // Still deleted, no second session, and retried about once a second (timeouts.enrollment_poll), not in a hot loop.
            Assert.Equal(1, Count(garden, "garden session established"));
            Assert.Empty(await GardensAsync());
            var attempts = Count(garden, "garden was deleted; an admin must restore it");
            Assert.InRange(attempts, 2, 3 + (int)(DateTime.UtcNow - at).TotalSeconds);

            await _server.CallAsync(HttpMethod.Post, $"/api/v1/gardens/{firstSid}/restore", _server.AdminToken);
            AwaitTrue(() => Count(garden, "garden session established") >= 2, TimeSpan.FromSeconds(30), "a second session after the restore");
            JsonArray gardens = [];
            AwaitTrue(() =>
            {
                gardens = GardensAsync().GetAwaiter().GetResult();
                return gardens.Count > 0 && (bool?)gardens[0]!["online"] == true;
            }, TimeSpan.FromSeconds(30), "the restored garden listed and online");
            var again = Assert.Single(gardens)!;
            Assert.Equal(firstSid, (string?)again["sid"]);
            Assert.Equal("web01", (string?)again["name"]);
        }
        finally
        {
            foreach (var line in garden.Lines) output.WriteLine("garden: " + line);
        }
    }

    [Fact]
    public async Task A_garden_that_lost_its_state_directory_waits_for_approval_then_rejection_and_approval_are_honoured()
    {
        // The enrollment token alone never re-binds a known host (issue 12, finding 4): the garden parks, tells the operator
        // what to run, polls with backoff; a rejection is logged and ends the polling; after a reload it asks again and
        // an approval lets it in with a new credential while the old one stops working.
        var token = await _server.CreateTokenAsync("garden:register");
        var config = GardenConfig(token, """{"live":{"actions":["activate"],"triggers":["manual"]}}""");
        string sid, oldCredential;
        using (var garden = new GardenProcess(config))
        {
            sid = SessionSid(garden.WaitForLine("garden session established", TimeSpan.FromSeconds(30)));
            garden.Signal(GardenProcess.SIGTERM);
            garden.WaitForExit(TimeSpan.FromSeconds(60));
        }
        oldCredential = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(_dir.File("garden"), "state.json")))!["credential"]!;
        Directory.Delete(_dir.File("garden"), recursive: true);

        using var again = new GardenProcess(config);
        try
        {
            var waiting = again.WaitForLine("waits for an admin's approval", TimeSpan.FromSeconds(30));
            var enrollment = System.Text.RegularExpressions.Regex.Match(waiting, @"enrollments approve (enr_[a-z0-9]+)").Groups[1].Value;
            Assert.StartsWith("enr_", enrollment);
            Assert.Contains(sid, waiting);
            // The old credential keeps working while the request waits.
            await _server.CallAsync(HttpMethod.Get, "/api/v1/auth/verify", oldCredential);
            AwaitTrue(() => ((JsonArray)_server.CallAsync(HttpMethod.Get, "/api/v1/gardens/enrollments", _server.AdminToken).GetAwaiter().GetResult()["items"]!)
                .Any(e => (string?)e!["sid"] == enrollment), TimeSpan.FromSeconds(30), "the enrollment listed for the admin");

            await _server.CallAsync(HttpMethod.Post, $"/api/v1/gardens/enrollments/{enrollment}/reject", _server.AdminToken);
            var rejected = again.WaitForLine("An admin rejected enrollment", TimeSpan.FromSeconds(30));
            Assert.Contains(enrollment, rejected);
            var polls = Count(again, "waits for an admin's approval");
            Thread.Sleep(TimeSpan.FromSeconds(3));
            Assert.Equal(polls, Count(again, "waits for an admin's approval"));
            Assert.Equal(0, Count(again, "garden session established"));
            await _server.CallAsync(HttpMethod.Get, "/api/v1/auth/verify", oldCredential);

            // A reload asks again; this time the admin approves.
            again.Signal(GardenProcess.SIGHUP);
            AwaitTrue(() => Count(again, "waits for an admin's approval. An admin approves it") >= 2, TimeSpan.FromSeconds(30), "a second enrollment request");
            var second = System.Text.RegularExpressions.Regex.Match(again.Lines.Last(l => l.Contains("enrollments approve", StringComparison.Ordinal)),
                @"enrollments approve (enr_[a-z0-9]+)").Groups[1].Value;
            Assert.NotEqual(enrollment, second);
            AwaitTrue(() => ((JsonArray)_server.CallAsync(HttpMethod.Get, "/api/v1/gardens/enrollments", _server.AdminToken).GetAwaiter().GetResult()["items"]!)
                .Any(e => (string?)e!["sid"] == second), TimeSpan.FromSeconds(30), "the second enrollment listed for the admin");
            await _server.CallAsync(HttpMethod.Post, $"/api/v1/gardens/enrollments/{second}/approve", _server.AdminToken);
            Assert.Equal(sid, SessionSid(again.WaitForLine("garden session established", TimeSpan.FromSeconds(30))));
            await Assert.ThrowsAsync<HttpRequestException>(() => _server.CallAsync(HttpMethod.Get, "/api/v1/auth/verify", oldCredential));
            AwaitTrue(() => GardensAsync().GetAwaiter().GetResult() is [{ } only] && (string?)only["sid"] == sid, TimeSpan.FromSeconds(30), "one garden, the same sid");
        }
        finally
        {
            foreach (var line in again.Lines) output.WriteLine("garden: " + line);
        }
    }
}
