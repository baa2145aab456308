using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary><c>metrics_textfile</c> in the garden's config: an absolute *.prom path in an existing directory, or a clear error.</summary>
public sealed class MetricsTextfileSettingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-metrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ConfigLoadResult Load(string valueJson, bool checkFilesystem = true)
    {
        var path = Path.Combine(_dir, "client.json");
        File.WriteAllText(path, $$"""{"endpoint":"https://sower.example","access_token":"t","metrics_textfile":{{valueJson}}}""");
        var env = new ConfigEnvironment(k => k == "TEXTFILES" ? _dir : null, false, _dir, "sower-garden", "host", "UTC");
        return GardenConfigLoader.Load(path, env, hasStoredCredential: false, readSecretFiles: checkFilesystem);
    }

    private static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    [Fact]
    public void Absent_means_no_textfile()
    {
        var path = Path.Combine(_dir, "client.json");
        File.WriteAllText(path, """{"endpoint":"https://sower.example","access_token":"t"}""");
        var result = GardenConfigLoader.Load(path, new ConfigEnvironment(_ => null, false, _dir, "u", "h", "UTC"), hasStoredCredential: false);
        Assert.True(result.Ok, string.Join("; ", result.Problems));
        Assert.Null(result.Config!.MetricsTextfile);
    }

    [Fact]
    public void An_absolute_prom_file_in_an_existing_directory_is_taken_and_variables_are_expanded()
    {
        var result = Load(Json("$TEXTFILES/sower-garden.prom"));
        Assert.True(result.Ok, string.Join("; ", result.Problems));
        Assert.Equal(Path.Combine(_dir, "sower-garden.prom"), result.Config!.MetricsTextfile);
    }

    [Theory]
    [InlineData("\"metrics/sower.prom\"", "must be an absolute path")]
    [InlineData("42", "expected an absolute path")]
    [InlineData("\"\"", "expected an absolute path")]
    public void A_relative_or_non_string_value_is_refused_with_the_key(string value, string message)
    {
        var result = Load(value);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(MetricsTextfileSetting.Key, problem.Path);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_directory_is_refused_naming_it()
    {
        var missing = Path.Combine(_dir, "no-such-dir");
        var problem = Assert.Single(Load(Json(Path.Combine(missing, "sower.prom"))).Problems);
        Assert.Equal(MetricsTextfileSetting.Key, problem.Path);
        Assert.Contains($"the directory \"{missing}\" does not exist", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_that_is_a_directory_is_refused_with_an_example_file_in_it()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_dir, "textfile.prom")).FullName;
        var problem = Assert.Single(Load(Json(directory)).Problems);
        Assert.Contains("is a directory; name a file in it", problem.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(directory, "sower-garden.prom"), problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_node_exporter_would_not_read_is_refused()
    {
        var problem = Assert.Single(Load(Json(Path.Combine(_dir, "sower.txt"))).Problems);
        Assert.Contains("must end in .prom", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_config_at_build_time_does_not_look_at_the_hosts_directories()
    {
        var result = Load(Json("/var/lib/prometheus-node-exporter/textfile/sower-garden.prom"), checkFilesystem: false);
        Assert.True(result.Ok, string.Join("; ", result.Problems));
        Assert.False(Load(Json("relative.prom"), checkFilesystem: false).Ok);
    }
}
