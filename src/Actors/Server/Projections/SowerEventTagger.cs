using Akka.Persistence.Journal;
using Sower.Messages.Deployments;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;

namespace Sower.Actors.Server.Projections;

/// <summary>Tags every entity event by its group so projections can follow one group with EventsByTag.</summary>
public sealed class SowerEventTagger : IWriteEventAdapter
{
    public const string SeedTag = "seed";
    public const string SeedLineTag = "seedline";
    public const string GardenTag = "garden";
    public const string DeploymentTag = "deployment";
    public const string SubscriptionTag = "subscription";

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt switch
    {
        SeedEvents.ISeedEvent => new Tagged(evt, [SeedTag]),
        SeedLineEvents.ISeedLineEvent => new Tagged(evt, [SeedLineTag]),
        GardenEvents.IGardenEvent => new Tagged(evt, [GardenTag]),
        DeploymentEvents.IDeploymentEvent => new Tagged(evt, [DeploymentTag]),
        Messages.Subscriptions.SubscriptionEvents.ISubscriptionEvent => new Tagged(evt, [SubscriptionTag]),
        _ => evt,
    };
}
