using System.Globalization;

namespace Sower.Activator;

/// <summary>The activator's own refusal and failure texts (REFERENCE §7.1–§7.6), in one place.</summary>
public static class ActivatorMessages
{
    public const string MustBeRootInSocketMode = "activator must be run as root in socket mode";
    public const string RootRequired = "root required";
    public const string UsernameMismatch = "username mismatch";
    public const string RequestTooLarge = "request too large (limit 64 KiB)";

    public static string RequestNotDelivered(TimeSpan limit) => $"request not received within {Seconds(limit)}s";

    public static string TimedOut(TimeSpan limit) => $"timed out after {Seconds(limit)}s";

    public static string NotInStore(string path) =>
        $"refusing to activate {path}: it is not in the Nix store; stage it first (a staged path comes from a configured substituter, with its signature)";

    public static string ContentAddressed(string type, string path) =>
        $"refusing to activate {path}: it is content-addressed (added with nix-store --add or built as a content-addressed derivation), and Nix accepts such a path without any signature, so nothing proves who published it; to allow it anyway set \"require_signatures\": {{\"{type}\": false}} in the activator config";

    public static string NotSigned(string type, string path, IReadOnlyList<string> signers) =>
        $"refusing to activate {path}: it carries no signature from a trusted key ("
        + (signers.Count == 0 ? "it has no signature at all, as a locally built path has none" : "signed only by " + string.Join(", ", signers))
        + $"); sign it with a key listed in extra_trusted_public_keys or nix.conf trusted-public-keys (nix store sign --key-file KEY {path}), or turn the check off with \"require_signatures\": {{\"{type}\": false}} in the activator config";

    public static string SignatureCheckFailed(string path, string why) =>
        $"refusing to activate {path}: its signatures could not be checked ({why})";

    public static string HomeManagerRootRefused(string user) =>
        $"home-manager activation as {user} (uid 0) is refused: the activator never runs a Home-Manager generation as root unless allowed_home_manager_users in its config lists {user}";

    public static string HomeManagerUserNotAllowed(string user) =>
        $"home-manager activation as {user} is refused: {user} is not in allowed_home_manager_users of the activator config";

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
