using System.Security.Cryptography;
using System.Text;
using Sower.Messages.Domain;

namespace Sower.Messages.Tokens;

/// <summary>The token string <c>sower_&lt;sid&gt;_&lt;secret&gt;</c> and its secret hash (REFERENCE §6.15).</summary>
public static class AccessTokenFormat
{
    public const string Prefix = "sower";
    public const int SecretBytes = 48;

    /// <summary>48 random bytes in standard padded Base64 (which never contains '_').</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    public static string Compose(TokenId sid, string secret) => $"{Prefix}_{sid.Value}_{secret}";

    /// <summary>Splits on '_' into exactly three parts, <c>sower</c> first, a well-formed sid second.</summary>
    public static bool TryParse(string? presented, out TokenId sid, out string secret)
    {
        sid = default;
        secret = "";
        if (string.IsNullOrEmpty(presented) || presented.Length > 512) return false;
        var parts = presented.Split('_');
        if (parts.Length != 3 || parts[0] != Prefix || parts[2].Length == 0) return false;
        if (!Sid.IsValid(parts[1], "")) return false;
        sid = new TokenId(parts[1]);
        secret = parts[2];
        return true;
    }

    /// <summary>SHA-256 of the secret, lower-case hex. A fast hash suffices: the secret is 384 random bits.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Constant-time comparison of the presented secret's hash with the stored one.</summary>
    public static bool Verify(string secret, string storedHashHex)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        byte[] stored;
        try { stored = Convert.FromHexString(storedHashHex); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }
}
