using System.Globalization;
using System.Text;
using CsCheck;
using NodaTime;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The garden's metrics textfile format (issue 19.1): escaping, hostile values, counters, and the pure state folds.</summary>
public sealed class GardenMetricsTextTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 3, 2, 10, 0, 0);

    private static GardenMetrics WithSubscription(string name, string result = "success") =>
        GardenMetrics.Initial("1.2.3").WithDeploymentFinished(result, T0, [new FinishedSeed(name, result, Activated: true)]);

    [Fact]
    public void Label_values_escape_backslash_quote_and_line_feed_exactly_as_the_exposition_format_says()
    {
        Assert.Equal("""a\"b\\c\nd""", GardenMetricsText.EscapeLabelValue("a\"b\\c\nd"));
        Assert.Equal("plain-name_1.2", GardenMetricsText.EscapeLabelValue("plain-name_1.2"));
        Assert.Equal("tab\tand\rcr", GardenMetricsText.EscapeLabelValue("tab\tand\rcr"));
    }

    [Fact]
    public void An_unpaired_surrogate_becomes_the_replacement_character_so_the_file_stays_valid_utf8()
    {
        Assert.Equal("x\uFFFDy", GardenMetricsText.EscapeLabelValue("x\uD800y"));
        Assert.Equal("\uD83C\uDF31", GardenMetricsText.EscapeLabelValue("\uD83C\uDF31")); // a pair stays
        var text = GardenMetricsText.Format(WithSubscription("bad\uDC00"));
        var bytes = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(text);
        Assert.Equal(text, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes));
    }

    [Fact]
    public void A_hostile_subscription_name_cannot_forge_a_series_or_break_a_line()
    {
        const string hostile = "web\"} 1\nsower_garden_connected 1\n# TYPE x counter\n\\";
        var text = GardenMetricsText.Format(WithSubscription(hostile));
        var samples = ExpositionParser.Parse(text);

        Assert.Single(samples, s => s.Name == "sower_garden_connected");
        Assert.Equal("0", samples.Single(s => s.Name == "sower_garden_connected").Value);
        var result = Assert.Single(samples, s => s.Name == "sower_garden_last_deployment_result");
        Assert.Equal(hostile, result.Labels["subscription"]);
        Assert.Equal("success", result.Labels["result"]);
        Assert.Equal(hostile, Assert.Single(samples, s => s.Name == "sower_garden_last_deployment_timestamp_seconds").Labels["subscription"]);
    }

    [Fact]
    public void Any_subscription_name_round_trips_through_the_file()
    {
        Gen.String.Sample(name =>
        {
            var samples = ExpositionParser.Parse(GardenMetricsText.Format(WithSubscription(name)));
            var utf8 = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(name)); // what a lone surrogate becomes
            Assert.Equal(utf8, Assert.Single(samples, s => s.Name == "sower_garden_last_deployment_result").Labels["subscription"]);
        }, iter: 2000);
    }

    [Fact]
    public void Every_family_has_help_and_type_and_the_version_is_an_info_label()
    {
        var text = GardenMetricsText.Format(GardenMetrics.Initial("0.9.1+abc"));
        foreach (var name in GardenMetricsText.SeriesNames)
        {
            Assert.Contains($"# HELP {name} ", text, StringComparison.Ordinal);
            Assert.Contains($"# TYPE {name} ", text, StringComparison.Ordinal);
        }
        Assert.Contains("sower_garden_info{version=\"0.9.1+abc\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE sower_garden_activations_total counter\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fresh_garden_writes_zero_counters_for_success_and_failure_and_no_contact_time()
    {
        var samples = ExpositionParser.Parse(GardenMetricsText.Format(GardenMetrics.Initial("1")));
        Assert.DoesNotContain(samples, s => s.Name == "sower_garden_last_server_contact_timestamp_seconds");
        Assert.Equal(["failure", "success"], samples.Where(s => s.Name == "sower_garden_activations_total").Select(s => s.Labels["result"]));
        Assert.All(samples.Where(s => s.Name.EndsWith("_total", StringComparison.Ordinal)), s => Assert.Equal("0", s.Value));
    }

    [Fact]
    public void Timestamps_are_unix_seconds_in_the_invariant_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var metrics = GardenMetrics.Initial("1").WithConnection(true, T0 + Duration.FromMilliseconds(250));
            var contact = ExpositionParser.Parse(GardenMetricsText.Format(metrics)).Single(s => s.Name == "sower_garden_last_server_contact_timestamp_seconds");
            Assert.Equal("1772445600.25", contact.Value);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void A_deployment_counts_its_result_each_activated_seed_and_a_rollback_and_sets_each_subscriptions_last_result()
    {
        var m = GardenMetrics.Initial("1")
            .WithDeploymentFinished("partial", T0, [new("web", "success", true), new("db", "failure", true), new("docs", "skipped", false)])
            .WithDeploymentFinished("rolled_back", T0 + Duration.FromMinutes(1), [new("web", GardenMetrics.RolledBack, true)]);
        Assert.Equal(1, m.Activations["success"]);
        Assert.Equal(1, m.Activations["failure"]);
        Assert.Equal(1, m.Activations[GardenMetrics.RolledBack]);
        Assert.False(m.Activations.ContainsKey("skipped"));
        Assert.Equal(1, m.Deployments["partial"]);
        Assert.Equal(1, m.Rollbacks);
        Assert.Equal(new LastDeployment(GardenMetrics.RolledBack, T0 + Duration.FromMinutes(1)), m.LastDeployments["web"]);
        Assert.Equal("failure", m.LastDeployments["db"].Result);
        Assert.Equal("skipped", m.LastDeployments["docs"].Result);
    }

    [Fact]
    public void The_last_contact_is_the_moment_of_disconnection_and_moves_only_while_connected()
    {
        var connected = GardenMetrics.Initial("1").WithConnection(true, T0);
        var touched = connected.Touch(T0 + Duration.FromSeconds(15));
        Assert.Equal(T0 + Duration.FromSeconds(15), touched.LastContact);
        var lost = touched.WithConnection(false, T0 + Duration.FromSeconds(20));
        Assert.Equal(T0 + Duration.FromSeconds(20), lost.LastContact);
        Assert.Equal(lost, lost.Touch(T0 + Duration.FromHours(1)));
        Assert.Null(GardenMetrics.Initial("1").WithConnection(false, T0).LastContact);
    }

    [Fact]
    public void Subscriptions_that_are_gone_lose_their_series()
    {
        var m = WithSubscription("web").WithDeploymentFinished("success", T0, [new FinishedSeed("old", "success", true)]);
        Assert.Equal(["web"], m.KeepSubscriptions(new HashSet<string> { "web" }).LastDeployments.Keys);
    }

    /// <summary>A strict reader of the text format's sample lines (as node_exporter's parser reads them): a raw line feed
    /// inside a label value, or an unknown escape, is an error.</summary>
    private static class ExpositionParser
    {
        public sealed record Sample(string Name, Dictionary<string, string> Labels, string Value);

        public static List<Sample> Parse(string text)
        {
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            var samples = new List<Sample>();
            foreach (var line in text[..^1].Split('\n'))
            {
                if (line.StartsWith('#'))
                {
                    Assert.Matches(@"^# (HELP|TYPE) sower_garden_[a-z_]+ .+$", line);
                    continue;
                }
                var i = 0;
                while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')) i++;
                var name = line[..i];
                Assert.StartsWith("sower_garden_", name, StringComparison.Ordinal);
                var labels = new Dictionary<string, string>();
                if (i < line.Length && line[i] == '{')
                {
                    i++;
                    while (line[i] != '}')
                    {
                        var start = i;
                        while (line[i] != '=') i++;
                        var label = line[start..i];
                        Assert.Matches("^[a-z_]+$", label);
                        i++;
                        Assert.Equal('"', line[i++]);
                        var value = new StringBuilder();
                        while (line[i] != '"')
                        {
                            if (line[i] == '\\')
                            {
                                value.Append(line[i + 1] switch { '\\' => '\\', '"' => '"', 'n' => '\n', var c => throw new FormatException($"unknown escape \\{c}") });
                                i += 2;
                            }
                            else value.Append(line[i++]);
                        }
                        i++;
                        labels[label] = value.ToString();
                        if (line[i] == ',') i++;
                    }
                    i++;
                }
                Assert.Equal(' ', line[i]);
                var number = line[(i + 1)..];
                Assert.True(double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"not a number: {number}");
                samples.Add(new Sample(name, labels, number));
            }
            return samples;
        }
    }
}
