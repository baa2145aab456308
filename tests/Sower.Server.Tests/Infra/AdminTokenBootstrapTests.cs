using System.Net;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Server.Tests.Infra;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AdminTokenBootstrapTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "sower-bootstrap-" + Guid.NewGuid().ToString("N"));
    private string DataDir => Path.Combine(_parent, "data");

    [Fact]
    public async Task First_start_writes_one_admin_token_file_mode_0600_in_a_0700_data_dir_and_later_starts_keep_it()
    {
        string firstContent;
        DateTime firstWrite;
        await using (var first = await InfraHost.StartAsync(DataDir))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(DataDir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.Options.AdminTokenFile));
            firstContent = await File.ReadAllTextAsync(first.Options.AdminTokenFile);
            firstWrite = File.GetLastWriteTimeUtc(first.Options.AdminTokenFile);

            using var client = first.Client(firstContent.Trim());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/probe/{Roles.Admin}")).StatusCode);
            var tokens = await first.AskTokensAsync<AccessTokenList>(new GetAccessTokens(Sower.Messages.Domain.Actor.Server, ByServer: true));
            var only = Assert.Single(tokens.Tokens);
            Assert.Equal("initial admin token", only.Description);
        }

        await using (var second = await InfraHost.StartAsync(DataDir))
        {
            Assert.Equal(firstContent, await File.ReadAllTextAsync(second.Options.AdminTokenFile));
            Assert.Equal(firstWrite, File.GetLastWriteTimeUtc(second.Options.AdminTokenFile));
            Assert.Single((await second.AskTokensAsync<AccessTokenList>(new GetAccessTokens(Sower.Messages.Domain.Actor.Server, ByServer: true))).Tokens);
            using var client = second.Client(firstContent.Trim());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/verify")).StatusCode);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_parent, recursive: true); } catch (IOException) { }
    }
}
