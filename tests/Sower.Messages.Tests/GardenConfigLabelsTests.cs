using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The <c>labels</c> of a garden's config file (issue 14.1): loaded, and refused with the key and the reason.</summary>
public sealed class GardenConfigLabelsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-labels-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ConfigLoadResult Load(string labelsJson)
    {
        var path = Path.Combine(_dir, "client.json");
        File.WriteAllText(path, $$"""{"endpoint":"https://sower.example","access_token":"t","labels":{{labelsJson}}}""");
        var env = new ConfigEnvironment(_ => null, false, _dir, "sower-garden", "host", "UTC");
        return GardenConfigLoader.Load(path, env, hasStoredCredential: false);
    }

    [Fact]
    public void Labels_are_read_from_the_config_file()
    {
        var result = Load("""{"role":"web","zone":"eu-1","example.org/tier":""}""");
        Assert.True(result.Problems.IsEmpty, string.Join("; ", result.Problems));
        Assert.Equal("web", result.Config!.Labels["role"]);
        Assert.Equal(3, result.Config.Labels.Count);
    }

    [Theory]
    [InlineData("""{"role":5}""", "labels.role", "must be a string")]
    [InlineData("""{"role":"web server"}""", "labels.role", "may contain only")]
    [InlineData("""{"-role":"web"}""", "labels", "begin and end")]
    [InlineData("""["role=web"]""", "labels", "expected an object")]
    public void Bad_labels_fail_the_config_check_with_the_key_and_the_reason(string labels, string path, string message)
    {
        var result = Load(labels);
        Assert.Null(result.Config);
        Assert.Contains(result.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }
}
