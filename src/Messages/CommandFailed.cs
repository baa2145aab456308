using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages;

/// <summary>
/// The error reply of every entity command: a stable wire code (e.g. "deployment_not_found"), a human message, and
/// field problems when the input was invalid. Replies are values, never exceptions.
/// </summary>
public sealed record CommandFailed(string Code, string Message, ImmutableArray<ValidationProblem> Problems) : ISowerSerializable
{
    public static CommandFailed Of(string code, string message) => new(code, message, []);
}

/// <summary>The success reply of commands that return nothing else.</summary>
public sealed record CommandAccepted : ISowerSerializable
{
    public static readonly CommandAccepted Instance = new();
}
