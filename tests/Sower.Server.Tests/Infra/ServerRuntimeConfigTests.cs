using System.Text.Json;

namespace Sower.Server.Tests.Infra;

/// <summary>What the built <c>sower-server</c> tells the .NET runtime (its <c>runtimeconfig.json</c>).</summary>
public sealed class ServerRuntimeConfigTests
{
    private static JsonElement ConfigProperties()
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "sower-server.runtimeconfig.json"));
        return JsonDocument.Parse(file).RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Fact]
    public void Idle_thread_pool_workers_block_instead_of_spinning()
    {
        // Issue 17: spinning for work after every tiny work item was a third of an idle server's CPU (docs/benchmarks.md).
        Assert.True(ConfigProperties().TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var limit),
            "sower-server.runtimeconfig.json sets no thread-pool spin limit");
        Assert.Equal(0, limit.GetInt32());
    }
}
