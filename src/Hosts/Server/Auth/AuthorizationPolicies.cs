using Microsoft.AspNetCore.Authorization;
using Sower.Messages.Tokens;

namespace Sower.Server.Auth;

/// <summary>One policy per role, named after it (<c>RequireAuthorization(Roles.SeedRead)</c>): the token must hold the
/// role, and admin satisfies every policy except <see cref="Roles.Garden"/>. <see cref="ManageTokens"/>: any user
/// token (not a garden credential) may manage its owner's tokens.</summary>
public static class AuthorizationPolicies
{
    public const string ManageTokens = "tokens:manage";

    public static void AddSowerPolicies(AuthorizationOptions options)
    {
        options.DefaultPolicy = new AuthorizationPolicyBuilder(AccessTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .Build();
        foreach (var role in Roles.All)
        {
            options.AddPolicy(role, policy => policy
                .AddAuthenticationSchemes(AccessTokenAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireAssertion(ctx => Roles.Satisfies(ctx.User.TokenRoles(), role)));
        }
        options.AddPolicy(ManageTokens, policy => policy
            .AddAuthenticationSchemes(AccessTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => ctx.User.GardenSid() is null && !ctx.User.TokenRoles().Contains(Roles.Garden)));
    }
}
