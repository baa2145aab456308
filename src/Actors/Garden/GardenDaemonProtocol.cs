using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Akka.Actor;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>Messages between the garden's actors (local only; the ones that are persisted live in <see cref="GardenJournalEvents"/>).</summary>
public static class GardenDaemonCommands
{
    /// <summary>Queue a message for the server in the durable outbox; delivered in order, at least once, after reconnects.</summary>
    public sealed record SendDurable(IGatewayRequest Message, IActorRef? NotifyDelivered = null, string? Tag = null);

    /// <summary>A request with a reply, only while connected; always answered with <see cref="InvokeResult"/> echoing <paramref name="Correlation"/>.</summary>
    public sealed record Invoke(IGatewayRequest Message, object? Correlation = null);

    public sealed record InvokeResult(GatewayReply Reply, object? Correlation = null);

    /// <summary>Told to <see cref="SendDurable.NotifyDelivered"/> once the server acknowledged the message.</summary>
    public sealed record DurableDelivered(string? Tag);

    public sealed record RequestReload(string Source);

    /// <summary>Drop the session (or a connect in progress) and connect afresh: a magic-rollback confirmation needs a connection made after the switch.</summary>
    public sealed record Reconnect(string Reason);

    /// <summary>A validated configuration to run on (initial start and reloads).</summary>
    public sealed record ApplyConfig(GardenConfig Config);

    /// <summary>SIGTERM: stop scheduling and accepting deployments; answered with <see cref="Drained"/> when nothing runs.</summary>
    public sealed record Drain;

    public sealed record Drained(ImmutableArray<string> Interrupted);

    public sealed record SubscriptionsSynced(ImmutableArray<SyncedSubscription> Subscriptions);

    public sealed record SessionReady(string? GardenSid);

    public sealed record PollOnConnect;

    public sealed record AdminDeploy(SeedType? SeedType, string? Sid, bool Force);

    public sealed record AdminReply(bool Ok, string Text);

    public sealed record GetStatus;

    public sealed record ReportProfiles(ImmutableArray<SyncedSubscription> Subscriptions, string? ThenVersion = null);

    /// <summary>A server push forwarded from the link.</summary>
    public sealed record PushReceived(string Name, JsonNode? Payload);

    public sealed record DeploymentPushed(GardenDeployment Push);
}

public static class GardenDaemonEvents
{
    /// <summary>A one-line status for systemd (<c>STATUS=</c>) and the admin socket.</summary>
    public sealed record StatusChanged(string Text);

    public sealed record ConnectionChanged(bool Connected, string? GardenSid);

    /// <summary>Published by the deployer whenever the number of running deployments changes.</summary>
    public sealed record DeployerActivity(ImmutableArray<string> ActiveDeployments);

    /// <summary>No deployment runs and a switch has replaced the garden's package: the host exits so the new one starts.</summary>
    public sealed record PackageReplaced(string Reason);
}

/// <summary>The garden status the admin socket reports (REFERENCE §5.15 plus connection and subscriptions).</summary>
public sealed record GardenStatus(
    string Version,
    bool Connected,
    string? GardenSid,
    string StatusLine,
    ImmutableArray<string> ActiveDeployments,
    ImmutableArray<SubscriptionStatus> Subscriptions);

public sealed record SubscriptionStatus(
    string Name,
    string? Sid,
    string SeedName,
    string SeedType,
    string? Schedule,
    string? Timezone,
    string? NextFire,
    string? NextWindowChange,
    string? CurrentSeed,
    string? PendingSeed);
