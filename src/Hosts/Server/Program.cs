using Akka.Hosting;
using Sower.Actors.Hosting;
using Sower.Server.Configuration;

var loaded = ServerOptionsLoader.LoadAndPrepare(args, ServerOptionsLoader.ProcessEnvironment());
if (!loaded.IsValid)
{
    loaded.WriteProblems(Console.Error);
    return ServerOptionsResult.ExitCode;
}
var options = loaded.Options!;

// Flags were consumed by the loader; ASP.NET Core gets none so they cannot be read twice.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.AddSowerServerInfrastructure(options);
builder.Services.AddAkka(ClusterSettings.ActorSystemName, (akka, _) => akka.WithSowerServerInfrastructure(options));

var app = builder.Build();
app.MapSowerInfrastructure();
await app.RunAsync();
return 0;
