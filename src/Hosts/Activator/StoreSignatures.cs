using System.Text.Json;
using Sower.Messages.Activator;

namespace Sower.Activator;

/// <summary>
/// <c>require_signatures</c>: before a path is activated it must already be in the store and carry a valid signature
/// from a key the operator trusts (<c>extra_trusted_public_keys</c>, nix.conf <c>trusted-public-keys</c>, or the
/// public half of nix.conf <c>secret-key-files</c>). Nix does the cryptography: <c>nix store verify --sigs-needed 1</c>.
/// A locally built path has no signature, so a member of the activator's group cannot build (or <c>nix-store --add</c>)
/// something and have root activate it. Paths substituted from a cache keep the cache's signature, so staged paths
/// pass. Content-addressed paths are refused outright: Nix counts them as trusted without looking at any signature.
/// Only the top-level path is checked: its signature covers its NAR hash and its references.
/// </summary>
public static class StoreSignatures
{
    private static readonly string[] Nix = ["--extra-experimental-features", "nix-command"];

    /// <summary>The store paths a request would activate.</summary>
    public static IEnumerable<string> PathsOf(ActivatorRequest request) =>
        request.Type == ActivatorRequestTypes.Services ? request.Seeds!.Select(s => s.Path) : [request.Path!];

    /// <summary>Null when every path is signed by a trusted key, else the refusal sentence for the first that is not.</summary>
    public static async Task<string?> CheckAsync(ActionContext context)
    {
        foreach (var path in PathsOf(context.Request).Distinct(StringComparer.Ordinal))
        {
            if (await CheckPathAsync(context, path).ConfigureAwait(false) is { } refusal) return refusal;
        }
        context.Log.Info("Signature verified", ("type", context.Request.Type));
        return null;
    }

    private static async Task<string?> CheckPathAsync(ActionContext context, string path)
    {
        var type = context.Request.Type;
        // No substituters: a path that is not here must not be fetched now, outside the operator's stage step.
        var (infoCode, infoOut) = await CaptureAsync(context, ["path-info", "--json", "--sigs", "--option", "substituters", "", path]).ConfigureAwait(false);
        var info = infoCode == 0 ? ParsePathInfo(infoOut) : null;
        if (info is null) return ActivatorMessages.SignatureCheckFailed(path, $"nix path-info exited with {infoCode}");
        if (!info.Valid) return ActivatorMessages.NotInStore(path);
        if (info.ContentAddressed) return ActivatorMessages.ContentAddressed(type, path);

        var verify = new List<string>(Nix) { "store", "verify", "--no-contents", "--sigs-needed", "1" };
        var keys = context.Settings.Config.ExtraTrustedPublicKeys;
        if (keys.Count > 0) verify.AddRange(["--option", "extra-trusted-public-keys", string.Join(' ', keys)]);
        verify.Add(path);
        var result = await context.RunAsync(new CommandSpec("nix", verify)).ConfigureAwait(false);
        if (result.Succeeded)
        {
            context.Log.Info("Path carries a trusted signature", ("path", path));
            return null;
        }
        return ActivatorMessages.NotSigned(type, path, info.Signers);
    }

    private sealed record PathInfo(bool Valid, bool ContentAddressed, IReadOnlyList<string> Signers);

    /// <summary>Reads <c>nix path-info --json --sigs</c> for one path; null when the output is not what Nix prints.</summary>
    private static PathInfo? ParsePathInfo(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() != 1) return null;
            var e = doc.RootElement[0];
            if (e.ValueKind != JsonValueKind.Object) return null;
            if (e.TryGetProperty("valid", out var valid) && valid.ValueKind == JsonValueKind.False) return new PathInfo(false, false, []);
            var ca = e.TryGetProperty("ca", out var caValue) && caValue.ValueKind == JsonValueKind.String && caValue.GetString()!.Length > 0;
            var signers = new List<string>();
            if (e.TryGetProperty("signatures", out var sigs) && sigs.ValueKind == JsonValueKind.Array)
            {
                foreach (var s in sigs.EnumerateArray())
                {
                    var text = s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
                    var colon = text.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0) signers.Add(text[..colon]);
                }
            }
            return new PathInfo(true, ca, signers);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Runs <c>nix ARGS</c> and collects its stdout (stderr goes to the client and the journal as usual).</summary>
    private static async Task<(int Code, string Stdout)> CaptureAsync(ActionContext context, IEnumerable<string> args)
    {
        var spec = new CommandSpec("nix", [.. Nix, .. args]);
        context.Log.Info("Running", ("command", spec.ToString()));
        var stdout = new System.Text.StringBuilder();
        var result = await context.Runner.RunAsync(
            spec,
            line => stdout.Append(line).Append('\n'),
            line =>
            {
                context.Frames.Error(context.Log.Timestamp() + " " + line);
                context.Log.ChildStderr(line);
            },
            context.Deadline).ConfigureAwait(false);
        if (result.TimedOut) throw new RequestTimedOutException();
        return (result.ExitCode, stdout.ToString());
    }
}
