using System.Net;
using Akka.Actor;
using Akka.Hosting;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using Sower.Server.Tests.Support;

namespace Sower.Server.Tests.Api;

/// <summary>
/// A token this node cannot check because the token store does not answer in time (its singleton moving to another node,
/// this node still starting) is not a bad token: the request is answered 503 with Retry-After, so that a client keeps its
/// credential and retries and a load balancer tries another node (nginx: proxy_next_upstream http_503). Before, it was
/// the 401 of a refused token; a rolling restart behind nginx showed valid admin tokens refused.
/// </summary>
public sealed class TokenStoreUnavailableTests : IAsyncLifetime
{
    private readonly TestServer _server = new()
    {
        ConfigureServices = s => s.PostConfigure<AccessTokenAuthenticationOptions>(AccessTokenAuthenticationHandler.SchemeName,
            o => o.LookupTimeout = TimeSpan.FromMilliseconds(300)),
    };

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        // The store stops answering (as while its singleton moves): every lookup that needs it runs into the timeout.
        var system = _server.Services.GetRequiredService<ActorSystem>();
        _server.Services.GetRequiredService<ActorRegistry>()
            .Register<AccessTokensActorKey>(system.ActorOf(Props.Create(() => new Silent()), "silent-token-store"), overwrite: true);
    }

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_token_the_store_could_not_check_in_time_is_answered_503_with_retry_after_never_401()
    {
        Assert.True(AccessTokenFormat.TryParse(_server.AdminToken, out var sid, out _));
        // The admin's id with another secret: the view cannot confirm it, so only the store could say.
        using var client = _server.Client(AccessTokenFormat.Compose(sid, AccessTokenFormat.NewSecret()));

        using var response = await client.GetAsync("/api/v1/gardens");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("unavailable", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_malformed_token_and_no_token_are_still_refused_401_without_asking_the_store()
    {
        using var malformed = _server.Client("sower_not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await malformed.GetAsync("/api/v1/gardens")).StatusCode);
        using var anonymous = _server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/gardens")).StatusCode);
    }
}
