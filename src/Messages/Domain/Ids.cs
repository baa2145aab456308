using System.Security.Cryptography;

namespace Sower.Messages.Domain;

/// <summary>Public string ids: a type prefix, '_', and 24 lower-case alphanumerics starting with a letter (REFERENCE §1.2).</summary>
public static class Sid
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Alphanumerics = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string New(string prefix)
    {
        Span<char> body = stackalloc char[24];
        body[0] = Letters[RandomNumberGenerator.GetInt32(Letters.Length)];
        for (var i = 1; i < body.Length; i++)
        {
            body[i] = Alphanumerics[RandomNumberGenerator.GetInt32(Alphanumerics.Length)];
        }
        return prefix.Length == 0 ? new string(body) : prefix + "_" + new string(body);
    }

    /// <summary>True when <paramref name="value"/> is a well-formed sid with the given prefix.</summary>
    public static bool IsValid(string? value, string prefix)
    {
        if (value is null) return false;
        var start = prefix.Length == 0 ? 0 : prefix.Length + 1;
        if (value.Length != start + 24) return false;
        if (prefix.Length > 0 && (!value.StartsWith(prefix, StringComparison.Ordinal) || value[prefix.Length] != '_')) return false;
        if (value[start] is < 'a' or > 'z') return false;
        for (var i = start; i < value.Length; i++)
        {
            var c = value[i];
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9'))) return false;
        }
        return true;
    }
}

public readonly record struct SeedId(string Value)
{
    public const string Prefix = "seed";
    public static SeedId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

public readonly record struct GardenId(string Value)
{
    public const string Prefix = "grdn";
    public static GardenId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

public readonly record struct SubscriptionId(string Value)
{
    public const string Prefix = "sub";
    public static SubscriptionId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

public readonly record struct DeploymentId(string Value)
{
    public const string Prefix = "dply";
    public static DeploymentId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

public readonly record struct RequestId(string Value)
{
    public const string Prefix = "req";
    public static RequestId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

public readonly record struct ConnectionId(string Value)
{
    public const string Prefix = "conn";
    public static ConnectionId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

/// <summary>A garden enrollment parked for an admin's approval (a known host identifier without proof).</summary>
public readonly record struct EnrollmentId(string Value)
{
    public const string Prefix = "enr";
    public static EnrollmentId New() => new(Sid.New(Prefix));
    public override string ToString() => Value;
}

/// <summary>Access-token sids carry no prefix and never contain '_' (REFERENCE §6.15).</summary>
public readonly record struct TokenId(string Value)
{
    public static TokenId New() => new(Sid.New(""));
    public override string ToString() => Value;
}
