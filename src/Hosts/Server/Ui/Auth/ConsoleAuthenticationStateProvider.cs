using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Sower.Server.Ui.Auth;

/// <summary>A live console view re-checks its session every minute, and is signed out at once when its token is revoked,
/// regenerated or expires (<see cref="Sessions.ConsoleCircuitSessions"/> calls <see cref="SignOut"/>).</summary>
public sealed class ConsoleAuthenticationStateProvider(ILoggerFactory logs, ConsoleSessionValidator validator)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancel) =>
        validator.IsValidAsync(state.User, cancel);

    /// <summary>The circuit becomes anonymous: its pages re-render as signed out and send the browser to sign-in, which
    /// says why (<see cref="ConsoleAuthentication.EndedClaim"/> on the anonymous identity carries the reason).</summary>
    public void SignOut(string reason) =>
        SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ConsoleAuthentication.EndedClaim, reason)])))));
}
