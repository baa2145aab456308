using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>Reads the system and Home-Manager profiles and queues the report (and, after a sync, the version report) in the outbox.</summary>
public sealed class ProfileReporterActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ProfileReporterActor(IActorRef link, ProfileRoots roots, string gardenUser)
    {
        Receive<GardenDaemonCommands.ReportProfiles>(report =>
        {
            var payload = ProfileScanner.Scan(report.Subscriptions, roots, gardenUser);
            _log.Debug("Reporting {ProfileCount} profile(s)", (payload["profiles"] as JsonArray)?.Count ?? 0);
            link.Tell(new GardenDaemonCommands.SendDurable(ProfileScanner.Report(payload)));
            if (report.ThenVersion is { } version) link.Tell(new GardenDaemonCommands.SendDurable(GatewayRequests.GardenReport(version)));
        });
    }

    public static Props Props(IActorRef link, ProfileRoots roots, string gardenUser) =>
        Akka.Actor.Props.Create(() => new ProfileReporterActor(link, roots, gardenUser));
}
