using Akka.Hosting;

namespace Sower.Actors.Garden;

/// <summary>The garden's metrics textfile (issue 19.1), used by the host and by tests.</summary>
public static class GardenMetricsHostingExtensions
{
    /// <summary>Starts <see cref="GardenMetricsActor"/>; it writes nothing until a configuration names a <c>metrics_textfile</c>
    /// (at start or after a reload).</summary>
    public static AkkaConfigurationBuilder WithGardenMetrics(this AkkaConfigurationBuilder builder, GardenMetricsSettings settings) =>
        builder.WithActors((system, _) => system.ActorOf(GardenMetricsActor.Props(settings), "metrics"));
}
