using System.Collections.Immutable;

namespace Sower.Server.Configuration;

/// <summary>Loaded options, or every configuration problem (each <c>path: message</c>).</summary>
public sealed record ServerOptionsResult(ServerOptions? Options, ImmutableArray<string> Problems)
{
    /// <summary>EX_CONFIG from sysexits.h: the process exits with it when the configuration is invalid.</summary>
    public const int ExitCode = 78;
    public const string ProblemPrefix = "Configuration validation failed: ";

    public bool IsValid => Options is not null && Problems.IsEmpty;

    /// <summary>One line per problem, each starting with <see cref="ProblemPrefix"/>.</summary>
    public void WriteProblems(TextWriter writer)
    {
        foreach (var problem in Problems) writer.WriteLine(ProblemPrefix + problem);
    }
}
