using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Sower.Server.Ui.Auth;

/// <summary>A live console view re-checks its session every minute: a revoked token signs the open page out too.</summary>
public sealed class ConsoleAuthenticationStateProvider(ILoggerFactory logs, ConsoleSessionValidator validator)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancel) =>
        validator.IsValidAsync(state.User, cancel);
}
