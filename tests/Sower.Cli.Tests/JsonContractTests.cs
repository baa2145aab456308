using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>
/// --json output is a contract: every command's field names are compared with Contracts/json-fields.json. A missing or
/// renamed field fails; so does a new one that was not added to the contract. Also the approval and retry flow.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class JsonContractTests(TestServer server)
{
    private static readonly JsonObject Contract = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Contracts", "json-fields.json")))!.AsObject();

    private readonly List<string> _checked = [];

    private void Fields(string name, JsonNode? node)
    {
        var expected = Contract[name]!.AsArray().Select(f => (string)f!).Order(StringComparer.Ordinal).ToList();
        var actual = node!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
        _checked.Add(name);
    }

    private void Each(string name, JsonNode? array)
    {
        var items = array!.AsArray();
        Assert.True(items.Count > 0, $"{name}: no items to check");
        foreach (var item in items) Fields(name, item);
    }

    [Fact]
    public async Task Every_json_output_keeps_its_field_names_and_approval_and_retry_work()
    {
        await using var garden = await TestGarden.Enroll(server, "contract01");
        await garden.Sync(("contract01", Sow.NixosSubscription("contract01", Sow.Policy(("live", ["activate"], ["realtime"])))),
            ("ask", new JsonObject
            {
                ["seed_name"] = "contract01",
                ["seed_type"] = "nixos",
                ["rules"] = new JsonArray("approval=yes"),
                ["policy"] = new JsonObject { ["ask"] = new JsonObject { ["actions"] = new JsonArray("activate"), ["triggers"] = new JsonArray("manual"), ["confirm"] = true } },
            }));
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
            await Sow.Eventually(() => JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens/{garden.Sid}").Result)!["subscriptions"]!.AsArray().Count == 2,
                "subscriptions synced");
        }

        // seed submit --wait --json: one JSON object per event.
        var rollout = SowerProcess.JsonLines(Sow.Run(server, "seed", "submit", Sow.NixosArtifact("contract01"), "-n", "contract01", "-t", "nixos", "--no-git",
            "--tag", "approval=yes", "--wait", "--timeout", "60s", "--json"));
        foreach (var e in rollout)
        {
            var kind = (string)e["kind"]!;
            Fields("rollout " + kind, e);
            if (kind == "submitted") Fields("seed", e["seed"]);
            if (kind == "deployment") Each("rollout deployment.seeds[]", e["seeds"]);
        }
        Assert.Contains("rollout log", _checked);
        Assert.Contains("rollout matched", _checked);
        var seedSid = (string)rollout[0]["seed"]!["sid"]!;

        var submit = SowerProcess.JsonLine(Sow.Run(server, "seed", "submit", Sow.NixosArtifact("contract01"), "-n", "contract01", "-t", "nixos", "--no-git", "--json"));
        Fields("seed submit", submit);
        Fields("seed", submit["seed"]);
        Each("seed.tags[]", submit["seed"]!["tags"]);
        Fields("seed", SowerProcess.JsonLine(Sow.Run(server, "seed", "show", seedSid, "--json")));
        Fields("seed", SowerProcess.JsonLine(Sow.Run(server, "seed", "latest", "-n", "contract01", "-t", "nixos", "--tag", "approval=yes", "--json")));
        var seeds = SowerProcess.JsonLine(Sow.Run(server, "seed", "list", "-n", "contract01", "-t", "nixos", "--json"));
        Fields("seed list", seeds);
        Each("seed", seeds["seeds"]);

        // Approval flow: the "ask" subscription requires confirmation for manual deploys.
        var deploy = Sow.Run(server, "deploy", "contract01", "ask", "--seed", seedSid, "--json");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        var accepted = SowerProcess.JsonLine(deploy);
        Fields("deploy", accepted);
        Assert.True((bool)accepted["awaiting_approval"]!);
        var deploymentSid = (string)accepted["deployment_sid"]!;
        var approved = SowerProcess.JsonLine(Sow.Run(server, "deployment", "approve", deploymentSid, "--json"));
        Fields("deployment approve", approved);
        Assert.True((bool)approved["approved"]!);
        var follow = Sow.Run(server, "deployment", "follow", deploymentSid, "--timeout", "60s");
        Assert.True(follow.ExitCode == 0, follow.Stdout + follow.Stderr);
        Assert.Contains("completed (success)", follow.Stdout);

        var retried = SowerProcess.JsonLine(Sow.Run(server, "deployment", "retry", deploymentSid, "--json"));
        Fields("deploy", retried);
        var rejected = Sow.Run(server, "deployment", "reject", (string)retried["deployment_sid"]!);
        Assert.True(rejected.ExitCode == 0, rejected.Stderr);
        Assert.Contains("rejected: canceled", rejected.Stdout);
        var again = Sow.Run(server, "deployment", "reject", (string)retried["deployment_sid"]!);
        Assert.Equal(1, again.ExitCode);
        Sow.SingleError(again);

        // deploy --wait stops at "awaiting approval" and says how to approve.
        var waiting = Sow.Run(server, "deploy", "contract01", "ask", "--seed", seedSid, "--wait", "--timeout", "30s");
        Assert.True(waiting.ExitCode == 0, waiting.Stdout + waiting.Stderr);
        Assert.Contains("approval requested: deployment dply_", waiting.Stdout);
        Assert.Contains("awaiting_approval — approve with: sower deployment approve dply_", waiting.Stdout);
        Assert.Contains("(rule ask)", waiting.Stdout);

        var show = SowerProcess.JsonLine(Sow.Run(server, "deployment", "show", deploymentSid, "--json"));
        Fields("deployment show", show);
        Each("deployment show.seeds[]", show["seeds"]);
        Each("deployment show.events[]", show["events"]);
        Assert.Contains(show["events"]!.AsArray(), e => (string?)e!["type"] == "approved");
        var deployments = SowerProcess.JsonLine(Sow.Run(server, "deployment", "list", "--garden", garden.Sid, "--json"));
        Fields("deployment list", deployments);
        Each("deployment list.deployments[]", deployments["deployments"]);

        var gardens = SowerProcess.JsonLine(Sow.Run(server, "garden", "list", "--json"));
        Fields("garden list", gardens);
        Each("garden list.gardens[]", gardens["gardens"]);
        var detail = SowerProcess.JsonLine(Sow.Run(server, "garden", "show", garden.Sid, "--json"));
        Fields("garden show", detail);
        Each("garden show.subscriptions[]", detail["subscriptions"]);
        Fields("latest_deployment", detail["latest_deployment"]);

        var token = SowerProcess.JsonLine(Sow.Run(server, "token", "create", "-d", "contract", "--role", "seed:read", "--json"));
        Fields("token create", token);
        var tokens = SowerProcess.JsonLine(Sow.Run(server, "token", "list", "--json"));
        Fields("token list", tokens);
        Each("token list.tokens[]", tokens["tokens"]);
        Fields("token revoke", SowerProcess.JsonLine(Sow.Run(server, "token", "revoke", (string)token["sid"]!, "--json")));

        var members = SowerProcess.JsonLine(Sow.Run(server, "cluster", "show", "--json"));
        Fields("cluster show", members);
        Each("cluster show.members[]", members["members"]);
        var shards = SowerProcess.JsonLine(Sow.Run(server, "cluster", "shards", "--json"));
        Fields("cluster shards", shards);
        Each("cluster shards.types[]", shards["types"]);
        Each("cluster shards.types[].nodes[]", shards["types"]!.AsArray().First(t => t!["nodes"]!.AsArray().Count > 0)!["nodes"]);
        var actors = SowerProcess.JsonLine(Sow.Run(server, "cluster", "actors", "--json"));
        Fields("cluster actors", actors);
        Fields("cluster actors.root", actors["root"]);
        var connected = SowerProcess.JsonLine(Sow.Run(server, "cluster", "gardens", "--json"));
        Fields("cluster gardens", connected);
        Each("cluster gardens.gardens[]", connected["gardens"]);

        var config = Path.Combine(Directory.CreateTempSubdirectory("sower-contract-").FullName, "client.json");
        File.WriteAllText(config, """{"subscriptions": {}}""");
        Fields("policy check", SowerProcess.JsonLine(SowerProcess.Run(null, null, "policy", "check", config, "--json")));

        // Every contract entry except the admin-socket one (AdminSocketCommandTests checks its exact output) and the fleet
        // ones that need labelled gardens and a rollout plan (FleetOpsCommandTests checks them) was exercised.
        string[] elsewhere = ["garden status", "deploy -l", "deploy -l.results[]", "rollout wave"];
        var notExercised = Contract.Select(p => p.Key).Where(k => !k.StartsWith('_') && !elsewhere.Contains(k) && !_checked.Contains(k)).ToList();
        Assert.True(notExercised.Count == 0, "contract entries not exercised: " + string.Join(", ", notExercised));
    }
}
