using System.CommandLine;
using System.CommandLine.Invocation;
using Sower.Cli.Commands;

namespace Sower.Cli;

/// <summary>
/// The <c>sower</c> command. Each command group lives in its own file under Commands/ and is registered in
/// <see cref="BuildRoot"/>; every command writes through <see cref="CliIo"/> so tests can run it in-process.
/// Exit codes: 0 success, 1 a failed operation, 2 invalid input (usage, files, values), 3 not found, 4 denied by policy,
/// 5 server or garden unreachable. Errors are one "error: ..." sentence on stderr; no stack trace reaches a user.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, CliIo.Console);

    public static int Run(IReadOnlyList<string> args, CliIo io)
    {
        ArgumentNullException.ThrowIfNull(io);
        try
        {
            var root = BuildRoot(io);
            // No response files: an argument such as "@x=y" is a rule, not a file to expand.
            var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction)
            {
                foreach (var error in parseResult.Errors) io.Error($"error: {error.Message}");
                var command = string.Join(' ', parseResult.CommandResult.Command.Name == root.Name
                    ? ["sower"]
                    : CommandPath(parseResult.CommandResult.Command, root));
                io.Err.WriteLine($"Run '{command} --help' for usage.");
                return ExitCodes.InvalidInput;
            }
            return parseResult.Invoke(new InvocationConfiguration
            {
                Output = io.Out,
                Error = io.Err,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            io.Error($"error: unexpected failure: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    public static RootCommand BuildRoot(CliIo io)
    {
        var root = new RootCommand("sower: deploy prebuilt Nix closures (seeds) to gardens under deployment policies");
        root.Subcommands.Add(SeedCliCommands.Create(io));
        root.Subcommands.Add(GardenCliCommands.Create(io));
        root.Subcommands.Add(DeploymentCliCommands.CreateDeploy(io));
        root.Subcommands.Add(DeploymentCliCommands.Create(io));
        root.Subcommands.Add(RolloutCliCommands.Create(io));
        root.Subcommands.Add(TokenCommands.Create(io));
        root.Subcommands.Add(WebhookCliCommands.Create(io));
        root.Subcommands.Add(ClusterCommands.Create(io));
        root.Subcommands.Add(RebootLockCliCommands.Create(io));
        root.Subcommands.Add(PolicyCommands.Create(io));
        root.Subcommands.Add(RulesCommands.Create(io));
        root.Subcommands.Add(BuildCommand.Create(io));
        root.Subcommands.Add(CompletionCommands.Create(io));
        return root;
    }

    private static IEnumerable<string> CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null && current != root; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }
        names.Insert(0, "sower");
        return names;
    }
}
