using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Sower.Server.Ui.Auth;

namespace Sower.Server.Sessions;

/// <summary>Tracks each console circuit (one per open browser tab, scoped to it) in <see cref="LiveSessions"/> under the
/// token of its cookie session, so revoking, regenerating or the expiry of that token signs the open page out at once.</summary>
public sealed class ConsoleCircuitSessions(LiveSessions sessions, AuthenticationStateProvider authentication) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (authentication is ConsoleAuthenticationStateProvider console)
        {
            var state = await authentication.GetAuthenticationStateAsync();
            sessions.Open(Key(circuit), "console", state.User, console.SignOut);
        }
        await base.OnCircuitOpenedAsync(circuit, cancellationToken);
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        sessions.Close(Key(circuit));
        return base.OnCircuitClosedAsync(circuit, cancellationToken);
    }

    private static string Key(Circuit circuit) => "circuit:" + circuit.Id;
}
