using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Sower.Cluster.Tests.Support;

namespace Sower.Cluster.Tests;

/// <summary>
/// The console and the CLI hub through the load balancer (issue 19.2), on the shared three-node cluster behind nginx:
/// a console sign-in through nginx (its antiforgery token and its cookie are read by whichever node nginx picks, since
/// the Data Protection key ring is in the shared database), the cookie accepted by every node, a forged cookie and one
/// sealed with another cluster's key ring refused; the real <c>sower</c> CLI streaming a rollout over <c>/hubs/cli</c>
/// (SignalR, WebSockets) through nginx.
/// </summary>
[Collection(ThreeNodeCluster.Collection)]
public sealed partial class ThroughNginxTests(ThreeNodeCluster cluster)
{
    private static HttpClient Browser(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<HttpResponseMessage> GetWithCookie(string url, string cookie)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", ConsoleCookie + "=" + cookie);
        return await http.SendAsync(request);
    }

    private const string ConsoleCookie = "sower_session";

    private static void AssertSentToSignIn(HttpResponseMessage response, string what)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{what}: {(int)response.StatusCode}, expected a redirect to the sign-in page");
        Assert.Contains("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_signs_in_through_nginx_and_every_node_accepts_its_cookie_but_none_a_forged_or_foreign_one()
    {
        var cookies = new CookieContainer();
        using var browser = Browser(cookies);

        // The sign-in form and its POST through nginx: `/` is round-robin (not sticky), so the form's antiforgery token is
        // generally issued by one node and checked by another.
        var page = await browser.GetAsync(cluster.Url + "/signin");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var form = WebUtility.HtmlDecode(AntiforgeryField().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value);
        Assert.False(string.IsNullOrEmpty(form), "no antiforgery field on the sign-in page");
        var signIn = await browser.PostAsync(cluster.Url + "/ui/session/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = form,
            ["token"] = cluster.Token,
            ["returnUrl"] = "/gardens",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/gardens", signIn.Headers.Location?.OriginalString);
        var session = cookies.GetCookies(new Uri(cluster.Url))[ConsoleCookie]?.Value;
        Assert.False(string.IsNullOrEmpty(session), "no session cookie after signing in through nginx");

        // The console pages through nginx, several times (round-robin spreads them over the nodes) ...
        for (var i = 0; i < 3; i++)
        {
            var gardens = await browser.GetAsync(cluster.Url + "/gardens");
            Assert.True(gardens.StatusCode == HttpStatusCode.OK, $"GET /gardens through nginx #{i}: {(int)gardens.StatusCode} {gardens.Headers.Location}");
        }
        // ... and, forced, on every node directly: whichever node issued the cookie, the other two accept it too.
        foreach (var node in cluster.Nodes)
        {
            var direct = await GetWithCookie(node.Url + "/gardens", session);
            Assert.True(direct.StatusCode == HttpStatusCode.OK, $"{node.Name} refused the cookie issued through nginx: {(int)direct.StatusCode} {direct.Headers.Location}");
        }

        // A tampered cookie, and a well-formed cookie sealed with another cluster's key ring (same application name,
        // same purpose as the server's cookie handler, its own keys): refused through nginx like a stranger.
        var tampered = session[..^4] + (session.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        AssertSentToSignIn(await GetWithCookie(cluster.Url + "/gardens", tampered), "a tampered cookie through nginx");
        var foreign = ForeignClusterCookie();
        for (var i = 0; i < 3; i++) AssertSentToSignIn(await GetWithCookie(cluster.Url + "/gardens", foreign), $"another cluster's cookie through nginx #{i}");
        foreach (var node in cluster.Nodes) AssertSentToSignIn(await GetWithCookie(node.Url + "/gardens", foreign), $"another cluster's cookie on {node.Name}");
    }

    /// <summary>A console cookie as another Sower cluster would issue it: the cookie handler's own ticket format and
    /// purposes, an admin-looking principal, but a key ring of its own.</summary>
    private static string ForeignClusterCookie()
    {
        var keys = Directory.CreateTempSubdirectory("sower-foreign-keys-");
        try
        {
            var provider = DataProtectionProvider.Create(keys, o => o.SetApplicationName("sower"));
            var protector = provider.CreateProtector("Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", "SowerConsole", "v2");
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, "admin")], "SowerConsole");
            return new TicketDataFormat(protector).Protect(new AuthenticationTicket(new ClaimsPrincipal(identity), "SowerConsole"));
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_cli_streams_a_rollout_over_its_hub_through_nginx_with_websockets_and_refuses_a_bad_token()
    {
        const string seedName = "hubvianginx";
        await using var garden = await FleetGarden.EnrollAsync(cluster.Url, cluster.Admin, "hub-via-nginx", seedName);
        await Wait.Until(() => garden.Joined, TimeSpan.FromSeconds(60), "the garden to join through nginx", () => cluster.Logs());
        var accessLog = Path.Combine(cluster.RunDir, "nginx", "access.log");
        var before = File.ReadAllLines(accessLog).Length;

        var artifact = NixosArtifact(seedName);
        var run = RunCli(cluster.Token, "seed", "submit", artifact, "-n", seedName, "-t", "nixos", "--no-git", "--wait", "--timeout", "90s", "--json");

        Assert.True(run.ExitCode == 0, $"sower seed submit --wait through nginx exited {run.ExitCode}\n{run.Stdout}\n{run.Stderr}\n{cluster.Logs()}");
        var events = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal("submitted", (string?)events[0]["kind"]);
        Assert.Contains(events, e => (string?)e["kind"] == "deployment" && (string?)e["garden_sid"] == garden.Sid
                                     && (string?)e["state"] == "completed" && (string?)e["result"] == "success");
        var done = Assert.Single(events, e => (string?)e["kind"] == "done");
        Assert.Equal(1, (int)done["succeeded"]!);
        Assert.Single(garden.Completed);

        // The hub connection went through nginx as a WebSocket: negotiate, then the upgrade (101) on /hubs/cli.
        var hubLines = File.ReadAllLines(accessLog).Skip(before).Where(l => l.Contains("/hubs/cli", StringComparison.Ordinal)).ToList();
        Assert.Contains(hubLines, l => l.Contains("/hubs/cli/negotiate", StringComparison.Ordinal));
        Assert.Contains(hubLines, l => l.Contains("GET /hubs/cli?id=", StringComparison.Ordinal) && l.Contains("\" 101 ", StringComparison.Ordinal));

        // A token the cluster never issued: refused at the hub through nginx, nothing submitted.
        var refused = RunCli("sower_at_" + new string('x', 40), "seed", "submit", artifact, "-n", seedName + "x", "-t", "nixos", "--no-git", "--json");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("rejected the access token", refused.Stderr, StringComparison.Ordinal);
        using var seeds = await cluster.Admin.GetAsync($"{cluster.Url}/api/v1/seeds?name={seedName}x&seed_type=nixos");
        Assert.DoesNotContain(seedName + "x", await seeds.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private sealed record CliRun(int ExitCode, string Stdout, string Stderr);

    /// <summary>The real built <c>sower</c> CLI (its own build output, next to its SignalR client) against nginx.</summary>
    private CliRun RunCli(string token, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(CliDll());
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var name in new[] { "SOWER_ACCESS_TOKEN_FILE", "SOWER_CONFIG_FILE", "SOWER_ADMIN_SOCKET", "XDG_CONFIG_HOME" }) start.Environment.Remove(name);
        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["SOWER_ENDPOINT"] = cluster.Url;
        start.Environment["SOWER_ACCESS_TOKEN"] = token;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        if (!process.WaitForExit(150_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"sower {string.Join(' ', args)} did not exit within 150 s");
        }
        return new CliRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string CliDll()
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = tests;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Sower.sln"))) root = root.Parent;
        var dll = Path.Combine(root!.FullName, "src", "Cli", "bin", tests.Parent!.Name, tests.Name, "sower.dll");
        Assert.True(File.Exists(dll), $"missing {dll}: build the solution first");
        return dll;
    }

    /// <summary>A NixOS-looking system in the real Nix store (the CLI checks the artifact is realised locally).</summary>
    private static string NixosArtifact(string host)
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("sower-artifact-").FullName, $"nixos-system-{host}-24.05");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "nixos-version"), "24.05.20260101.abcdef0\n");
        File.WriteAllText(Path.Combine(dir, "system"), "x86_64-linux\n");
        File.WriteAllText(Path.Combine(dir, "unique"), Guid.NewGuid().ToString());
        using var add = Process.Start(new ProcessStartInfo("nix-store", ["--add", dir]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var path = add.StandardOutput.ReadToEnd().Trim();
        add.WaitForExit();
        Assert.True(add.ExitCode == 0, "nix-store --add failed: " + add.StandardError.ReadToEnd());
        return path;
    }

    [Fact]
    public void The_nginx_configuration_the_tests_run_is_the_one_the_readme_documents()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Sower.sln"))) root = root.Parent!;
        var readme = File.ReadAllText(Path.Combine(root.FullName, "README.md"));
        var section = readme[readme.IndexOf("## High availability", StringComparison.Ordinal)..];
        var documented = NginxBlock().Match(section).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(documented), "no ```nginx block in the README's High availability section");
        var tested = Nginx.Config("/run/nginx", 8080, [7151, 7152, 7153]);
        Assert.Equal(Directives(documented), Directives(tested));
    }

    /// <summary>The proxying directives of an nginx configuration in order, with upstream addresses, listeners, TLS and
    /// the test's process-level settings (pid, logs, temp paths) left out: what decides where a request goes.</summary>
    private static List<string> Directives(string config)
    {
        var ignored = new[] { "listen", "server_name", "ssl_", "worker_", "pid", "error_log", "access_log", "events", "http", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path" };
        var withoutComments = string.Join("\n", config.Split('\n').Select(l => l.Split('#')[0]));
        return [.. Regex.Split(withoutComments, "[;{}]")
            .Select(s => Regex.Replace(s.Trim(), @"\s+", " "))
            .Where(s => s.Length > 0 && !ignored.Any(i => s == i || s.StartsWith(i, StringComparison.Ordinal) && (i.EndsWith('_') || s.Length == i.Length || s[i.Length] == ' ')))
            .Select(s => Regex.Replace(s, @"^server \S+", "server ADDRESS"))];
    }

    [GeneratedRegex("```nginx\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex NginxBlock();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
