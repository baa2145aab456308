namespace Sower.Messages.Domain;

/// <summary>A key/value pair on a seed (REFERENCE §1.4). The value may be empty.</summary>
public sealed record Tag(string Key, string Value)
{
    public override string ToString() => $"{Key}={Value}";
}
