var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz/live", () => Results.Ok(new { status = "live" }));
app.Run();
