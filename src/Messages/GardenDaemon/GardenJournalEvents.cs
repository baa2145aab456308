using Sower.Messages.Gateway;

namespace Sower.Messages.GardenDaemon;

/// <summary>Everything the garden persists in its SQLite journal. Each has a versioned manifest in the garden's journal serializer (Sower.Actors.Garden.GardenJournalSerializer).</summary>
public interface IGardenJournalEvent;

public static class GardenJournalEvents
{
    /// <summary>v1 of an outbox entry: the payload as JSON text. Only read (journals written before v2); never written.</summary>
    public sealed record OutboxAppended(long Seq, string Method, string PayloadJson) : IGardenJournalEvent;

    /// <summary>v2 of an outbox entry: one of the gateway contract's typed requests, journaled as its hub method and its wire payload.</summary>
    public sealed record OutboxMessageAppended(long Seq, IGatewayRequest Message) : IGardenJournalEvent;

    public sealed record OutboxDelivered(long Seq) : IGardenJournalEvent;

    /// <summary>The deployer accepted a push; its child persists the details.</summary>
    public sealed record DeploymentAccepted(string DeploymentSid, string PushJson, long ReceivedAtUnixMs) : IGardenJournalEvent;

    public sealed record DeploymentFinished(string DeploymentSid, string? RequestId, string Result, string DeployedAt, long FinishedAtUnixMs) : IGardenJournalEvent;

    /// <summary>
    /// Written before the activator is asked to activate a seed, so a restart never repeats an activation and instead reads
    /// its outcome back from the profile. <paramref name="User"/> (v2) is the Home-Manager target user; v1 events lack it.
    /// </summary>
    public sealed record ActivationStarted(string SeedSid, string Action, string? User = null) : IGardenJournalEvent;

    public sealed record SeedFinished(string SeedSid, string? Result, string? Action, string Log) : IGardenJournalEvent;

    /// <summary>Written before the live switch of §5.12 step 4 is asked for, so a restart reads its outcome instead of repeating it.</summary>
    public sealed record LiveSwitchStarted(string SeedSid, string NewSystem) : IGardenJournalEvent;

    public sealed record DeploymentCompleted(string Result, string DeployedAt) : IGardenJournalEvent;

    /// <summary>A seed's activation asked the activator for a rollback deadline: the deployment confirms before it completes.</summary>
    public sealed record RollbackArmed(string SeedSid) : IGardenJournalEvent;

    /// <summary>
    /// All seeds are done; the deployment waits for a connection made after the switch, then confirms. <paramref name="Result"/> is
    /// the result once confirmed; <paramref name="Reboot"/> says the reboot was requested (never again after a restart).
    /// </summary>
    public sealed record ConfirmationAwaited(string Result, bool Reboot, long AtUnixMs) : IGardenJournalEvent;
}
