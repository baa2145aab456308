namespace Sower.Messages.Activator;

/// <summary>
/// One request to the activator (REFERENCE §7.2), sent as a single JSON line:
/// <c>{"id","type","path"?,"mode"?,"user"?,"gcroot"?,"profile"?,"reason"?,"seeds"?:[{"name","path"}]}</c>.
/// Only <see cref="Id"/> and <see cref="Type"/> are always present; which of the rest matter depends on the type.
/// </summary>
public sealed record ActivatorRequest(string Id, string Type)
{
    /// <summary>The store path to act on (stage, nixos, home-manager, profile).</summary>
    public string? Path { get; init; }

    /// <summary>The NixOS activation mode: switch, boot, test or dry-activate.</summary>
    public string? Mode { get; init; }

    /// <summary>The Home-Manager target user (an account name).</summary>
    public string? User { get; init; }

    /// <summary>The GC-root name for <c>stage</c> (one per subscription).</summary>
    public string? Gcroot { get; init; }

    /// <summary>The profile name for <c>profile</c>.</summary>
    public string? Profile { get; init; }

    /// <summary>Free text for the log (reboot reason, deployment id, …).</summary>
    public string? Reason { get; init; }

    /// <summary>
    /// nixos and home-manager: arm a rollback deadline of this many seconds after a switch (0 or absent: none). The activator
    /// caps it with its own <c>max_confirm_timeout_seconds</c>; it never trusts the request for more.
    /// </summary>
    public int? ConfirmTimeout { get; init; }

    /// <summary>The deployment a rollback deadline belongs to (nixos, home-manager with a confirm timeout; confirm; rollback-status).</summary>
    public string? Deployment { get; init; }

    /// <summary>The complete set of service seeds for <c>services</c>.</summary>
    public IReadOnlyList<ServiceSeed>? Seeds { get; init; }

    public static ActivatorRequest Stage(string id, string path, string gcroot) => new(id, ActivatorRequestTypes.Stage) { Path = path, Gcroot = gcroot };

    public static ActivatorRequest NixOS(string id, string path, string mode) => new(id, ActivatorRequestTypes.NixOS) { Path = path, Mode = mode };

    public static ActivatorRequest HomeManager(string id, string path, string user) => new(id, ActivatorRequestTypes.HomeManager) { Path = path, User = user };

    public static ActivatorRequest SetProfile(string id, string path, string profile) => new(id, ActivatorRequestTypes.Profile) { Path = path, Profile = profile };

    public static ActivatorRequest Services(string id, IReadOnlyList<ServiceSeed> seeds) => new(id, ActivatorRequestTypes.Services) { Seeds = seeds };

    public static ActivatorRequest Reboot(string id, string reason) => new(id, ActivatorRequestTypes.Reboot) { Reason = reason };

    /// <summary>The garden reached its server after the switch of <paramref name="deployment"/>: disarm its rollback deadlines.</summary>
    public static ActivatorRequest Confirm(string id, string deployment) => new(id, ActivatorRequestTypes.Confirm) { Deployment = deployment };

    /// <summary>What became of the rollback deadlines of <paramref name="deployment"/> (one JSON output frame per deadline).</summary>
    public static ActivatorRequest RollbackStatus(string id, string deployment) => new(id, ActivatorRequestTypes.RollbackStatus) { Deployment = deployment };

    /// <summary>Structural equality, including the seed list (records compare lists by reference).</summary>
    public bool Equals(ActivatorRequest? other) =>
        other is not null && Id == other.Id && Type == other.Type && Path == other.Path && Mode == other.Mode && User == other.User
        && Gcroot == other.Gcroot && Profile == other.Profile && Reason == other.Reason
        && ConfirmTimeout == other.ConfirmTimeout && Deployment == other.Deployment
        && (Seeds is null ? other.Seeds is null : other.Seeds is not null && Seeds.SequenceEqual(other.Seeds));

    public override int GetHashCode() => HashCode.Combine(Id, Type, Path, Mode, User, Gcroot, Profile, Seeds?.Count);
}

/// <summary>One service seed of a <c>services</c> request: its name (for logs) and its store path.</summary>
public sealed record ServiceSeed(string Name, string Path);
