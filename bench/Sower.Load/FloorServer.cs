using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sower.Messages.Gateway;

namespace Sower.Load;

/// <summary>
/// The floor: a minimal ASP.NET Core SignalR hub at the gateway's path with the gateway's JSON protocol and keep-alive
/// settings, that only broadcasts. It answers the same calls the load gardens make (register, join, sync, submit,
/// acknowledge, results, the completed count) with no persistence, no actors and no authentication, so a run against it
/// measures what the sockets alone cost on this machine.
/// </summary>
public static class FloorServer
{
    public static async Task<int> Run(LoadOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<FloorState>();
        builder.Services.AddSignalR(o =>
            {
                o.KeepAliveInterval = TimeSpan.FromSeconds(15);
                o.ClientTimeoutInterval = TimeSpan.FromSeconds(60);
                o.MaximumReceiveMessageSize = GatewayProtocol.MaxFrameBytes;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<FloorHub>(GatewayProtocol.HubPath);
        app.MapPost("/api/v1/gardens/register", (FloorState state) =>
        {
            var n = Interlocked.Increment(ref state.Gardens);
            return Results.Json(new JsonObject { ["sid"] = $"grdn_floor{n}", ["name"] = $"floor{n}", ["credential"] = $"floor_{n}" }, statusCode: 201);
        });
        app.MapPost("/api/v1/seeds", async (FloorState state, IHubContext<FloorHub> hub) =>
        {
            var n = Interlocked.Increment(ref state.Seeds);
            var push = new JsonObject
            {
                ["request_id"] = $"req_floor{n}",
                ["sid"] = $"dply_floor{n}",
                ["trigger"] = "realtime",
                ["approved"] = false,
                ["skipped"] = false,
                ["seed_deployments"] = new JsonArray(new JsonObject
                {
                    ["subscription_sid"] = "sub_floor",
                    ["action"] = "activate",
                    ["seed"] = new JsonObject { ["sid"] = $"seed_floor{n}", ["name"] = "fleet", ["seed_type"] = "nixos", ["artifact"] = "/nix/store/x", ["tags"] = new JsonArray() },
                }),
            };
            await hub.Clients.All.SendAsync(GatewayProtocol.PushDeployment, push);
            return Results.Json(new JsonObject { ["sid"] = $"seed_floor{n}" }, statusCode: 201);
        });
        app.MapGet("/api/v1/deployments", (FloorState state) => Results.Json(new JsonObject { ["items"] = new JsonArray(), ["total"] = state.Results.Count }));
        app.MapGet("/healthz/ready", () => "ok");
        await app.RunAsync();
        return 0;
    }

    public sealed class FloorState
    {
        public int Gardens;
        public int Seeds;
        public readonly ConcurrentDictionary<string, bool> Results = new(StringComparer.Ordinal);
    }

    public sealed class FloorHub(FloorState state) : Hub
    {
        private static JsonElement Ok(JsonNode body) => JsonSerializer.SerializeToElement(new JsonObject { ["ok"] = true, ["body"] = body, ["error"] = null });

        [HubMethodName(GatewayProtocol.Join)]
        public JsonElement Join(JsonElement payload) => Ok(new JsonObject { ["garden_sid"] = Context.ConnectionId });

        [HubMethodName(GatewayProtocol.SubscriptionsSync)]
        public JsonElement Sync(JsonElement payload) => Ok(new JsonObject
        {
            ["subscriptions"] = new JsonArray(new JsonObject { ["name"] = "system", ["sid"] = "sub_floor" }),
        });

        [HubMethodName(GatewayProtocol.DeploymentStatus)]
        public JsonElement Status(JsonElement payload) => Ok(new JsonObject { ["sid"] = payload.GetProperty("deployment_sid").GetString() });

        [HubMethodName(GatewayProtocol.DeploymentSeedResult)]
        public JsonElement SeedResult(JsonElement payload) => Ok(new JsonObject());

        [HubMethodName(GatewayProtocol.DeploymentResult)]
        public JsonElement Result(JsonElement payload)
        {
            state.Results.TryAdd(Context.ConnectionId + "/" + payload.GetProperty("deployment_sid").GetString(), true);
            return Ok(new JsonObject { ["sid"] = payload.GetProperty("deployment_sid").GetString() });
        }
    }
}
