using System.Text.Json.Nodes;
using Sower.Cli.Commands;
using Sower.Cli.Infrastructure;

namespace Sower.Cli.Tests;

/// <summary>How a streamed rollout becomes an exit code and lines of text.</summary>
public sealed class RolloutPrinterTests
{
    private static async IAsyncEnumerable<JsonObject> Events(params string[] json)
    {
        foreach (var e in json)
        {
            await Task.Yield();
            yield return JsonNode.Parse(e)!.AsObject();
        }
    }

    private static async Task<(int Code, string Out)> Consume(params string[] json)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var io = new CliIo(output, error, new StringReader(""));
        var code = await new RolloutPrinter(io, json: false).Consume(Events(json), TimeSpan.FromSeconds(10), CancellationToken.None, "the rollout");
        return (code, output.ToString());
    }

    private const string Submitted = """{"kind":"submitted","created":true,"promoted":false,"fan_out":true,"seed":{"sid":"seed_a","name":"web01","seed_type":"nixos","artifact":"/nix/store/x"}}""";

    private static string Done(int matched, int held, int notRealtime, int deployments, int succeeded, int failed) =>
        $$"""{"kind":"done","matched":{{matched}},"held":{{held}},"not_realtime":{{notRealtime}},"deployments":{{deployments}},"succeeded":{{succeeded}},"failed":{{failed}},"awaiting_approval":0,"canceled":0}""";

    [Fact]
    public async Task Every_realtime_subscription_held_by_policy_exits_4()
    {
        var (code, text) = await Consume(Submitted,
            """{"kind":"matched","garden_name":"web01","subscription_name":"web","decision":"deny","reason":"held by policy: next window opens 2026-11-29T04:00:00Z"}""",
            """{"kind":"matched","garden_name":"web02","subscription_name":"web","decision":"not_realtime","reason":"its policy has no realtime trigger"}""",
            Done(2, 1, 1, 0, 0, 0));
        Assert.Equal(4, code);
        Assert.Contains("matched web01/web: held by policy — held by policy: next window opens 2026-11-29T04:00:00Z", text);
        Assert.Contains("matched web02/web: not realtime", text);
    }

    [Fact]
    public async Task Some_held_and_some_deployed_is_success_and_any_failure_is_1()
    {
        Assert.Equal(0, (await Consume(Submitted, Done(2, 1, 0, 1, 1, 0))).Code);
        Assert.Equal(1, (await Consume(Submitted, Done(2, 0, 0, 2, 1, 1))).Code);
        Assert.Equal(0, (await Consume(Submitted, Done(1, 0, 1, 0, 0, 0))).Code);
    }

    [Fact]
    public async Task A_rolled_back_deployment_is_counted_on_its_own_and_exits_1()
    {
        var (code, text) = await Consume(Submitted,
            """{"kind":"done","matched":1,"held":0,"not_realtime":0,"deployments":1,"succeeded":0,"failed":0,"rolled_back":1,"awaiting_approval":0,"canceled":0}""");
        Assert.Equal(1, code);
        Assert.Contains("rollout finished: 1 matched, 0 succeeded, 0 failed, 1 rolled back, 0 held by policy, 0 awaiting approval", text);
    }

    [Fact]
    public async Task Deployment_changes_and_log_lines_are_printed_once_each()
    {
        const string dispatched = """{"kind":"deployment","deployment_sid":"dply_a","garden_name":"web01","garden_online":false,"state":"dispatched","result":null,"confirm_rules":[],"seeds":[{"subscription_name":"web","seed_sid":"seed_a","action":"activate","state":"pending","result":null}]}""";
        const string completed = """{"kind":"deployment","deployment_sid":"dply_a","garden_name":"web01","garden_online":true,"state":"completed","result":"success","confirm_rules":[],"seeds":[{"subscription_name":"web","seed_sid":"seed_a","action":"activate","executed_action":"activate","state":"completed","result":"success"}]}""";
        var (code, text) = await Consume(Submitted, dispatched, dispatched,
            """{"kind":"log","deployment_sid":"dply_a","seed_sid":"seed_a","subscription_name":"web","line":"activated"}""", completed, Done(1, 0, 0, 1, 1, 0));
        Assert.Equal(0, code);
        Assert.Equal(1, text.Split('\n').Count(l => l.Contains("dispatched — garden offline", StringComparison.Ordinal)));
        Assert.Contains("  web | activated", text);
        Assert.Contains("deployment dply_a on web01: completed (success)", text);
        Assert.Contains("  web: activate completed (success, executed activate)", text);
    }

    [Fact]
    public async Task An_error_event_is_a_failure_with_its_message_and_not_found_is_3()
    {
        var failure = await Assert.ThrowsAsync<CliFailure>(() => Consume("""{"kind":"error","error":"not_found","message":"no deployment dply_x"}"""));
        Assert.Equal(3, failure.ExitCode);
        Assert.Equal("no deployment dply_x", failure.Message);
        var rejected = await Assert.ThrowsAsync<CliFailure>(() => Consume("""{"kind":"error","error":"invalid_seed","message":"the seed was rejected: name: must not be empty"}"""));
        Assert.Equal(1, rejected.ExitCode);
    }

    [Fact]
    public async Task An_approval_request_says_how_to_approve()
    {
        var (_, text) = await Consume(Submitted,
            """{"kind":"deployment","deployment_sid":"dply_b","garden_name":"web01","garden_online":true,"state":"awaiting_approval","result":null,"confirm_rules":["weekly-reboot"],"seeds":[]}""",
            """{"kind":"done","matched":1,"held":0,"not_realtime":0,"deployments":1,"succeeded":0,"failed":0,"awaiting_approval":1,"canceled":0}""");
        Assert.Contains("awaiting_approval — approve with: sower deployment approve dply_b (rule weekly-reboot)", text);
        Assert.Contains("1 awaiting approval", text);
    }
}
