using Sower.Actors.Server.NixCaches;
using Akka.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Akka.Persistence.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.Server.Tokens;
using Sower.Server.Auth;
using Sower.Server.Health;

namespace Sower.Server.Configuration;

/// <summary>The server's infrastructure: options, logging level, bind addresses, systemd, authentication and
/// authorization, health checks, the admin-token bootstrap; and on the actor side persistence, cluster and the
/// token store. Program.cs and tests compose a host from exactly these calls.</summary>
public static class ServerHostingExtensions
{
    /// <summary>Services: <see cref="ServerOptions"/>, NodaTime <see cref="IClock"/> (system clock unless one is
    /// registered first), <see cref="AccessTokenCache"/>, the "Bearer" scheme, one policy per role, health checks,
    /// systemd notify + watchdog, and the admin-token bootstrap. Does not add Akka: call
    /// <c>Services.AddAkka(ClusterSettings.ActorSystemName, (akka, sp) => akka.WithSowerServerInfrastructure(options)…)</c>.</summary>
    public static WebApplicationBuilder AddSowerServerInfrastructure(this WebApplicationBuilder builder, ServerOptions options)
    {
        // Before anything opens the journal or the key ring: they must not stay readable by others (issue 12).
        if (!OperatingSystem.IsWindows())
        {
            foreach (var warning in DataDirectoryPermissions.Tighten(options)) Console.Error.WriteLine("warning: " + warning);
        }
        builder.WebHost.UseUrls(options.Urls);
        var healthLogGate = new StartupHealthLogGate();
        var level = SowerLoggingExtensions.Parse(options.LogLevel);
        var quieter = new Dictionary<string, LogLevel>
        {
            // The key ring is protected by the data directory's permissions (0700, enforced at every start); "no XML
            // encryptor" would need a certificate nobody has, so its warning asks for no action.
            ["Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager"] = LogLevel.Error,
        };
        // One line per HTTP request is debugging detail, not information.
        if (level == LogLevel.Information) quieter["Microsoft.AspNetCore"] = LogLevel.Warning;
        builder.Logging.AddSowerLogging(options.Logging, quieter: quieter);
        builder.Logging.AddFilter(StartupHealthLogGate.Category, l => healthLogGate.Allows(l, level));
        builder.Services.AddSingleton(healthLogGate);

        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton(new AccessTokenCache());
        // Authentication reads this node's copy of the token store, so it survives the store's singleton moving.
        services.TryAddSingleton(new AccessTokenView());
        services.AddSingleton<ICredentialRevocationHandler>(sp => sp.GetRequiredService<AccessTokenView>());
        services.AddSystemd();
        services.AddHostedService<SystemdWatchdogService>();

        // Key material (cookies, antiforgery) lives in the journal's database, shared by every node of a cluster (a cookie
        // issued by one node is valid on all); key files an older server wrote to <data_dir>/keys are imported once.
        services.AddDataProtection().SetApplicationName("sower");
        services.Configure<KeyManagementOptions>(o =>
            o.XmlRepository = new DatabaseXmlRepository(options.Persistence, Path.Combine(options.DataDir, "keys")));

        services.AddAuthentication(AccessTokenAuthenticationHandler.SchemeName)
            .AddScheme<AccessTokenAuthenticationOptions, AccessTokenAuthenticationHandler>(AccessTokenAuthenticationHandler.SchemeName, _ => { });
        services.AddAuthorization(AuthorizationPolicies.AddSowerPolicies);

        services.AddSingleton<AdminTokenBootstrapState>();
        services.AddHostedService<AdminTokenBootstrapService>();
        services.AddHealthChecks()
            .AddCheck<AdminTokenBootstrapHealthCheck>("sower-admin-token-bootstrap", tags: [ClusterHostingExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>Akka logs through the shared logging set-up (<see cref="SowerLoggingExtensions"/>) at the configured levels, persistence (from
    /// <see cref="ServerOptions.Persistence"/>), the cluster and the token store.
    /// <paramref name="journal"/> adds event adapters (e.g. the entity event tagger).</summary>
    public static AkkaConfigurationBuilder WithSowerServerInfrastructure(
        this AkkaConfigurationBuilder akka,
        ServerOptions options,
        Action<AkkaPersistenceJournalBuilder>? journal = null,
        AccessTokensSettings? tokens = null) =>
        akka.WithSowerLogging(options.Logging)
            .WithSowerPersistence(options.Persistence, journal)
            // The cluster meets its database: on PostgreSQL nodes find each other through it and the resolver's lease lives there.
            .WithSowerCluster(options.Cluster with { Database = options.Persistence })
            .WithAccessTokens(tokens ?? new AccessTokensSettings(Limits: new Sower.Messages.Tokens.AccessTokenLimits(options.MaxTokenLifetimeDays)))
            .WithAccessTokenReplica(Sower.Actors.Server.ServerEntitiesHostingExtensions.ReadJournalId)
            .WithNixCaches();

    /// <summary>Authentication/authorization middleware, <c>/healthz/live</c>, <c>/healthz/ready</c>,
    /// <c>/api/v1/auth/verify</c> and <c>/api/v1/tokens…</c>.</summary>
    public static WebApplication MapSowerInfrastructure(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSowerHealthChecks();
        app.MapTokenEndpoints();
        return app;
    }
}
