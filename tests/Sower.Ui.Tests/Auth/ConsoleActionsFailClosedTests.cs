using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using NodaTime.Text;
using Sower.Actors.Server.Tokens;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using Sower.Server.Auth;
using Sower.Server.Ui.Auth;
using Sower.Server.Ui.Services;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenQueries;

namespace Sower.Ui.Tests.Auth;

/// <summary>
/// A console action when the token store does not answer the session check (issue 12, finding 8): it fails closed —
/// nothing reaches the store but the check itself — while merely viewing keeps the session (a slow store must not
/// sign everyone out). A real actor system with a token store that reads its mail and never replies.
/// </summary>
public sealed class ConsoleActionsFailClosedTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("fail-closed");
    private readonly ConcurrentQueue<object> _received = new();

    private sealed class SilentStore(ConcurrentQueue<object> received) : UntypedActor
    {
        protected override void OnReceive(object message) => received.Enqueue(message);
    }

    private sealed class FixedUser(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    private (ConsoleActions Actions, ConsoleSessionValidator Validator, ClaimsPrincipal User) Console()
    {
        var registry = new ActorRegistry();
        registry.Register<AccessTokensActorKey>(_system.ActorOf(Props.Create(() => new SilentStore(_received))));
        var now = SystemClock.Instance.GetCurrentInstant();
        var info = new AccessTokenInfo(TokenId.New(), "console user", [Roles.Admin], null, "system", null, now, now);
        var user = AccessTokenPrincipal.Create(info, ConsoleAuthentication.CookieScheme);
        ((ClaimsIdentity)user.Identity!).AddClaim(new Claim(ConsoleAuthentication.SecretIssuedClaim, InstantPattern.ExtendedIso.Format(now)));
        var validator = new ConsoleSessionValidator(registry, SystemClock.Instance, NullLogger<ConsoleSessionValidator>.Instance) { Timeout = TimeSpan.FromMilliseconds(300) };
        var services = new ServiceCollection()
            .AddLogging()
            .AddAuthorization(AuthorizationPolicies.AddSowerPolicies)
            .AddSingleton(registry)
            .AddSingleton(validator)
            .AddSingleton(new AccessTokenCache())
            .BuildServiceProvider();
        var actions = new ConsoleActions(services.GetRequiredService<IAuthorizationService>(), new FixedUser(user), services);
        return (actions, validator, user);
    }

    [Fact]
    public async Task An_action_is_refused_when_the_token_store_cannot_confirm_the_session_and_nothing_is_sent_to_it()
    {
        var (actions, _, _) = Console();
        var victim = TokenId.New();

        var outcome = await actions.RevokeTokenAsync(victim);

        Assert.False(outcome.Ok);
        Assert.Equal(ConsoleActions.SessionUnconfirmed, outcome.Message);
        await Task.Delay(200); // anything sent after the check would have arrived by now
        Assert.All(_received, m => Assert.IsType<GetAccessToken>(m));
        Assert.DoesNotContain(_received, m => m is RevokeAccessToken);
    }

    [Fact]
    public async Task Viewing_keeps_the_session_when_the_store_is_slow_but_acting_does_not()
    {
        var (_, validator, user) = Console();
        Assert.True(await validator.IsValidAsync(user, CancellationToken.None));
        Assert.False(await validator.IsConfirmedAsync(user, CancellationToken.None));
        Assert.Equal(SessionCheck.Unconfirmed, await validator.CheckAsync(user, CancellationToken.None));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
