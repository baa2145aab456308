using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sower.Messages.Tokens;
using Sower.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sower.Ui.Tests.Browser;

/// <summary>An open console page is signed out within seconds when its session's token is revoked or regenerated
/// elsewhere (the API here), not at the next periodic re-check a minute later.</summary>
[Collection(SharedConsoleCollection.Name)]
public sealed class ConsoleRevocationTests(ConsoleFixture fx)
{
    /// <summary>What the README promises an operator.</summary>
    private const float Promise = 5_000;

    private TestServer Server => fx.Server;

    [Fact]
    public async Task An_open_page_is_signed_out_when_its_token_is_revoked_through_the_api()
    {
        var token = await Server.TokenWith(Roles.GardenRead, Roles.DeploymentRead);
        var page = await fx.SignedIn(token, "/gardens");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Gardens");

        var revoked = await Server.Admin.DeleteAsync($"/api/v1/tokens/{TokenText.Sid(token)}");
        Assert.Equal(204, (int)revoked.StatusCode);

        await Expect(page).ToHaveURLAsync(new Regex("/signin"), new() { Timeout = Promise });
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("was revoked");
    }

    [Fact]
    public async Task An_open_page_is_signed_out_when_its_token_is_regenerated_through_the_api()
    {
        var token = await Server.TokenWith(Roles.GardenRead, Roles.DeploymentRead);
        var page = await fx.SignedIn(token, "/deployments");

        var (status, _) = await Server.PostJson($"/api/v1/tokens/{TokenText.Sid(token)}/regenerate", new { });
        Assert.Equal(200, status);

        await Expect(page).ToHaveURLAsync(new Regex("/signin"), new() { Timeout = Promise });
    }
}
