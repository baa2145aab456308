using Akka.Hosting;

namespace Sower.Actors.Server.Inspection;

public static class InspectionHostingExtensions
{
    /// <summary>The cluster inspection actor (one per node, at /user/cluster-inspection), registered under
    /// <see cref="ClusterInspectionActorKey"/> for the admin-only <c>/api/v1/cluster/...</c> endpoints.</summary>
    public static AkkaConfigurationBuilder WithSowerInspection(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry) =>
            registry.Register<ClusterInspectionActorKey>(system.ActorOf(ClusterInspectionActor.Props(), ClusterInspectionActor.Name)));
}
