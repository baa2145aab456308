using Microsoft.Extensions.Logging;

namespace Sower.Garden;

/// <summary>
/// <c>--exit-when-replaced LINK</c>: LINK is a symlink the service's configuration points at the garden package it runs
/// (the NixOS module's <c>/etc/sower/garden-package</c>, Home-Manager's <c>~/.config/sower/garden-package</c>). A switch
/// never restarts the garden (it may be the one driving it); when LINK no longer resolves to what it resolved to at
/// start, the switch has replaced the package, and the garden exits cleanly once idle so that <c>Restart=always</c>
/// starts the new version. A missing LINK is never a replacement.
/// </summary>
public sealed class PackageReplacement
{
    private readonly string _link;
    private readonly string? _atStart;

    public PackageReplacement(string link)
    {
        _link = link;
        _atStart = Resolve(link);
    }

    public string? TargetAtStart => _atStart;

    /// <summary>Why this process should make way for a new one, or null while LINK still names its package.</summary>
    public string? Check()
    {
        if (_atStart is null) return null;
        var now = Resolve(_link);
        return now is null || string.Equals(now, _atStart, StringComparison.Ordinal)
            ? null
            : $"{_link} now points at {now} (this process runs {_atStart})";
    }

    /// <summary>The final target of <paramref name="path"/> through every symlink (NixOS: /etc → /etc/static → the store).</summary>
    public static string? Resolve(string path)
    {
        try
        {
            if (!Path.Exists(path)) return null;
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? null : info.ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName ?? Path.GetFullPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void LogStart(ILogger logger)
    {
        if (_atStart is null) logger.LogWarning("--exit-when-replaced: {Link} does not exist; a switch will not restart this garden onto a new package", _link);
        else logger.LogInformation("Watching {Link} ({Target}): the garden restarts onto a new package once idle", _link, _atStart);
    }
}
