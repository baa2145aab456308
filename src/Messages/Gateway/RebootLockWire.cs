namespace Sower.Messages.Gateway;

// Wire shapes of the reboot lock and inhibition hub methods (issue 14.3/14.4), garden → server.

/// <summary><c>reboot_lock:acquire</c>: a lease for rebooting into this deployment's system.</summary>
public sealed record RebootLockAcquireMessage(string? DeploymentSid) : IGatewayRequest;

/// <summary><c>reboot_lock:release</c>: <c>reason</c> is <c>booted</c> (from a new connection, on the deployed system)
/// or <c>not_needed</c> (the deployment ended without a reboot).</summary>
public sealed record RebootLockReleaseMessage(string? DeploymentSid, string? Reason) : IGatewayRequest;

/// <summary><c>garden:inhibition</c>: <c>inhibited</c> with a one-line reason, or not inhibited (reason null).</summary>
public sealed record GardenInhibitionMessage(bool? Inhibited, string? Reason) : IGatewayRequest;

/// <summary>The reply body of <c>reboot_lock:acquire</c>: granted with the deadline, or the group's holders.</summary>
public sealed record RebootLockAcquireReply(bool Granted, string Group, string? ExpiresAt, int InUse, int Max, string[] Holders, string? Text);

public static class RebootLockWire
{
    public const string Booted = "booted";
    public const string NotNeeded = "not_needed";
}
