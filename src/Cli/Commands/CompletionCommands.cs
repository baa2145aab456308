using System.CommandLine;

namespace Sower.Cli.Commands;

/// <summary><c>sower completion bash|zsh|fish</c>: a script that asks <c>sower</c> itself for suggestions through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, so completions always match this binary's commands.</summary>
public static class CompletionCommands
{
    public static Command Create(CliIo io)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script (e.g. sower completion bash > /etc/bash_completion.d/sower)") { shell };
        command.Aliases.Add("completions");
        command.SetAction(result =>
        {
            io.Out.Write(Script(result.GetValue(shell)!));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => """
            # sower completion for bash
            _sower_complete() {
                local IFS=$'\n'
                local words
                words=$(sower "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
                COMPREPLY=( $(compgen -W "${words}" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -F _sower_complete sower

            """,
        "zsh" => """
            #compdef sower
            # sower completion for zsh
            _sower() {
                local -a completions
                completions=("${(@f)$(sower "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
                compadd -a completions
            }
            compdef _sower sower

            """,
        _ => """
            # sower completion for fish
            complete -c sower -f -a '(sower "[suggest:"(string length -- (commandline -cp))"]" (commandline -cp) 2>/dev/null)'

            """,
    };
}
