using Microsoft.AspNetCore.Components.Authorization;
using Sower.Server.Ui.Auth;
using Sower.Server.Ui.Components;
using Sower.Server.Ui.Services;

namespace Sower.Server.Ui;

/// <summary>
/// The web console (REFERENCE §6.16): Blazor with interactive server rendering inside the server host, signed in with a
/// cookie session next to the API's Bearer scheme. It reads the same read model and sends the same actor commands,
/// under the same authorization policies, as the REST API. Program.cs calls exactly these two methods.
/// </summary>
public static class ConsoleHostingExtensions
{
    public const string StylesheetPath = "/ui/console.css";
    public const string ScriptPath = "/ui/console.js";
    public const string TimeZoneCookie = "sower_tz";

    public static WebApplicationBuilder AddSowerConsole(this WebApplicationBuilder builder)
    {
        UseFrameworkAssets(builder);
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents(o => o.DetailedErrors = builder.Environment.IsDevelopment());
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, ConsoleAuthenticationStateProvider>();
        services.AddAntiforgery(o => o.Cookie.Name = "sower_antiforgery");
        services.AddSowerConsoleAuthentication();
        services.AddSingleton<IConsoleReadModel, ReadModelStoreSource>();
        services.AddSingleton<ConsoleSessionValidator>();
        services.AddSingleton<Sower.Actors.Server.Tokens.ICredentialRevocationHandler>(sp => sp.GetRequiredService<ConsoleSessionValidator>());
        services.AddScoped<ConsoleActions>();
        services.AddSingleton<ClusterView>();
        return builder;
    }

    public static WebApplication MapSowerConsole(this WebApplication app)
    {
        app.UseAntiforgery();
        MapEmbedded(app, StylesheetPath, "console.css", "text/css; charset=utf-8");
        MapEmbedded(app, ScriptPath, "console.js", "text/javascript; charset=utf-8");
        app.MapSowerConsoleSession();
        app.MapStaticAssets(Path.Combine(AppContext.BaseDirectory, AssetsManifest + ".endpoints.json"));
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private const string AssetsManifest = "sower-server.staticwebassets";

    /// <summary>
    /// Blazor's own script (_framework/blazor.web.js) is a static web asset. The manifests are found next to the assembly,
    /// not by the application name, so the console works from a build output, a test host or a published directory, and
    /// in any environment (ASP.NET Core only wires build-time assets in Development by itself).
    /// </summary>
    private static void UseFrameworkAssets(WebApplicationBuilder builder)
    {
        var runtime = Path.Combine(AppContext.BaseDirectory, AssetsManifest + ".runtime.json");
        if (File.Exists(runtime))
        {
            builder.Configuration[WebHostDefaults.StaticWebAssetsKey] = runtime;
            builder.WebHost.UseStaticWebAssets();
        }
        else if (Directory.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot")))
        {
            builder.Environment.WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot");
            builder.Environment.WebRootFileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(builder.Environment.WebRootPath);
        }
    }

    /// <summary>The stylesheet and script are compiled into the assembly, so the console works from any build output
    /// (tests, a plain build, a published binary) without a static-files manifest.</summary>
    private static void MapEmbedded(WebApplication app, string path, string name, string contentType)
    {
        var assembly = typeof(ConsoleHostingExtensions).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith("." + name, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        var content = reader.ReadToEnd();
        var etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))[..16] + "\"";
        app.MapGet(path, (HttpContext http) =>
        {
            http.Response.Headers.ETag = etag;
            http.Response.Headers.CacheControl = "no-cache";
            return http.Request.Headers.IfNoneMatch == etag ? Results.StatusCode(304) : Results.Text(content, contentType);
        }).AllowAnonymous().ExcludeFromDescription();
    }
}
