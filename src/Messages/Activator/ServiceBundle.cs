using System.Security.Cryptography;
using System.Text;

namespace Sower.Messages.Activator;

/// <summary>
/// The identity of a set of service seeds (REFERENCE §7.4): the SHA-256 hex of the sorted seed paths, each followed by
/// <c>\n</c>. The activator names the bundle directory after it and points <c>current</c> at it; the garden recomputes it
/// to read back an interrupted services activation.
/// </summary>
public static class ServiceBundle
{
    public static string Id(IEnumerable<string> paths)
    {
        var sb = new StringBuilder();
        foreach (var p in paths.Order(StringComparer.Ordinal)) sb.Append(p).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
