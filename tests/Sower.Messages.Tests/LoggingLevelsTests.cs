using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The <c>logging</c> section of the garden's config file (and its parser, which the server's loader shares):
/// a default level and levels per area, and a bad value refused with its path and what would be accepted.</summary>
public sealed class LoggingLevelsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-logging-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ConfigLoadResult Load(string loggingJson)
    {
        var path = Path.Combine(_dir, "client.json");
        File.WriteAllText(path, $$"""{"endpoint":"https://sower.example","access_token":"t","logging":{{loggingJson}}}""");
        var env = new ConfigEnvironment(_ => null, false, _dir, "sower-garden", "host", "UTC");
        return GardenConfigLoader.Load(path, env, hasStoredCredential: false);
    }

    [Fact]
    public void The_default_level_and_the_levels_per_area_are_read_from_the_config_file()
    {
        var result = Load("""{"level":"warn","levels":{"Sower.Actors.Garden.ServerLinkActor":"debug","Akka.Cluster":"Error"}}""");
        Assert.True(result.Problems.IsEmpty, string.Join("; ", result.Problems));
        var logging = result.Config!.Logging;
        Assert.Equal("Warning", logging.Default);
        Assert.Equal("Debug", logging.Areas["Sower.Actors.Garden.ServerLinkActor"]);
        Assert.Equal("Error", logging.Areas["Akka.Cluster"]);
        Assert.Equal("Debug", logging.Lowest);
    }

    [Fact]
    public void Without_a_logging_section_everything_logs_at_information()
    {
        var path = Path.Combine(_dir, "client.json");
        File.WriteAllText(path, """{"endpoint":"https://sower.example","access_token":"t"}""");
        var result = GardenConfigLoader.Load(path, new ConfigEnvironment(_ => null, false, _dir, "sower-garden", "host", "UTC"), hasStoredCredential: false);
        Assert.Equal(Domain.LoggingLevels.Information, result.Config!.Logging);
        Assert.Empty(result.Config.Logging.Areas);
    }

    [Theory]
    [InlineData("""{"level":"loud"}""", "logging.level", "must be one of trace, debug, info (information), warn (warning), error, critical or none, got \"loud\"")]
    [InlineData("""{"levels":{"Sower.Actors.Server":"verbose"}}""", "logging.levels.Sower.Actors.Server", "must be one of trace, debug, info (information), warn (warning), error, critical or none, got \"verbose\"")]
    [InlineData("""{"levels":{"Sower.Actors.Server":3}}""", "logging.levels.Sower.Actors.Server", "must be one of")]
    [InlineData("""{"levels":{"Sower Actors":"debug"}}""", "logging.levels.Sower Actors", "an area is a logging category or its start")]
    [InlineData("""{"levels":["debug"]}""", "logging.levels", "expected an object of areas and levels")]
    [InlineData("""{"lvl":"debug"}""", "logging.lvl", "unknown setting (known: level, levels)")]
    [InlineData("\"debug\"", "logging", "expected an object such as")]
    public void A_bad_level_or_area_is_refused_with_its_path_and_what_is_accepted(string logging, string path, string message)
    {
        var result = Load(logging);
        Assert.False(result.Ok);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
    }
}
