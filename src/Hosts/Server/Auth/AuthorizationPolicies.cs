using Microsoft.AspNetCore.Authorization;
using Sower.Messages.Tokens;

namespace Sower.Server.Auth;

/// <summary>One policy per role, named after it (<c>RequireAuthorization(Roles.SeedRead)</c>): the token must hold the
/// role, and admin satisfies every policy except <see cref="Roles.Garden"/>. <see cref="ManageTokens"/>: only a token
/// holding admin, seed:write or deployment:write (<see cref="AccessTokenStore.MayManageTokens"/>) reaches the token
/// API or the console's token page; which tokens it may then see and change the token store decides.</summary>
public static class AuthorizationPolicies
{
    public const string ManageTokens = "tokens:manage";

    /// <summary>Reading the Nix cache list: seed readers and writers need it to trust the server's caches, and
    /// <see cref="Roles.NixCacheRead"/> exists for clients that need nothing else.</summary>
    public const string ReadNixCaches = "nix-caches:list";

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
        options.AddPolicy(ReadNixCaches, policy => policy
            .AddAuthenticationSchemes(AccessTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => new[] { Roles.SeedRead, Roles.SeedWrite, Roles.NixCacheRead }.Any(r => Roles.Satisfies(ctx.User.TokenRoles(), r))));
        options.AddPolicy(ManageTokens, policy => policy
            .AddAuthenticationSchemes(AccessTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => ctx.User.GardenSid() is null && AccessTokenStore.MayManageTokens(ctx.User.TokenRoles())));
    }
}
