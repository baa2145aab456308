using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>`sower garden enrollments|deleted|restore` as a real process against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class EnrollmentCommandTests(TestServer server)
{
    [Fact]
    public async Task Enrollments_lists_and_approves_a_parked_re_enrollment_and_restore_lets_a_deleted_garden_back()
    {
        using var admin = new HttpClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        var minted = JsonNode.Parse(await (await admin.PostAsJsonAsync($"{server.Url}/api/v1/tokens",
            new { description = "cli enroller", roles = new[] { "garden:register" } })).Content.ReadAsStringAsync())!;
        using var enroller = new HttpClient();
        enroller.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)minted["token"]!);
        var host = "cli-enr-" + Guid.NewGuid();
        var first = await enroller.PostAsJsonAsync($"{server.Url}/api/v1/gardens/register", new { name = "cli-enr", host_identifier = host });
        Assert.Equal(201, (int)first.StatusCode);
        var sid = (string)JsonNode.Parse(await first.Content.ReadAsStringAsync())!["sid"]!;
        var second = await enroller.PostAsJsonAsync($"{server.Url}/api/v1/gardens/register", new { name = "cli-enr-2", host_identifier = host });
        Assert.Equal(202, (int)second.StatusCode);
        var enrollment = (string)JsonNode.Parse(await second.Content.ReadAsStringAsync())!["enrollment_sid"]!;

        await Sow.Eventually(() => Sow.Run(server, "garden", "enrollments", "--json").Stdout.Contains(enrollment, StringComparison.Ordinal), "the enrollment listed");
        var listed = SowerProcess.JsonLine(Sow.Run(server, "garden", "enrollments", "--json"));
        var row = Assert.Single(listed["enrollments"]!.AsArray(), e => (string?)e!["sid"] == enrollment)!;
        Assert.Equal(sid, (string?)row["garden_sid"]);
        Assert.Equal("cli-enr-2", (string?)row["name"]);
        var approve = Sow.Run(server, "garden", "enrollments", "approve", enrollment);
        Assert.True(approve.ExitCode == 0, approve.Stderr);
        Assert.Contains("approved", approve.Stdout);

        Assert.Equal(204, (int)(await admin.DeleteAsync($"{server.Url}/api/v1/gardens/{sid}")).StatusCode);
        await Sow.Eventually(() => Sow.Run(server, "garden", "deleted").Stdout.Contains(sid, StringComparison.Ordinal), "the deleted garden listed");
        var restore = Sow.Run(server, "garden", "restore", sid);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        Assert.NotEqual(0, Sow.Run(server, "garden", "restore", sid).ExitCode);
        var back = await enroller.PostAsJsonAsync($"{server.Url}/api/v1/gardens/register", new { name = "cli-enr", host_identifier = host });
        Assert.Equal(201, (int)back.StatusCode);
    }
}
