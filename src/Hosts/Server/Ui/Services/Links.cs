using Sower.Messages.Domain;

namespace Sower.Server.Ui.Services;

/// <summary>The console's routes, in one place.</summary>
public static class Links
{
    public static string Garden(GardenId sid) => "/gardens/" + sid.Value;
    public static string Seed(SeedId sid) => "/seeds/" + sid.Value;
    public static string Deployment(DeploymentId sid) => "/deployments/" + sid.Value;
    public static string Subscription(GardenId garden, SubscriptionId sid) => $"/gardens/{garden.Value}#{sid.Value}";
}
