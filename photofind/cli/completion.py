"""`photofind completion bash|zsh|fish`: shell completion scripts read off the argparse tree.

Written here rather than with shtab (well kept, pure Python) because shtab has no fish, and
because this CLI's tree is small and regular: commands, their actions (`folders add`), and
options, some taking a value. One walk of the parser gives all three scripts, so a new
command or option completes without anyone touching this file. zsh runs the bash script
through its own `bashcompinit`, as many CLIs do.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh", "fish")


@dataclass
class Node:
    """One command level: its options (name -> takes a value, help) and its sub-commands."""

    options: dict[str, tuple[bool, str]] = field(default_factory=dict)
    commands: dict[str, tuple[str, Node]] = field(default_factory=dict)


def tree(parser: argparse.ArgumentParser) -> Node:
    node = Node()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                node.commands[name] = (helps.get(name, ""), tree(sub))
            continue
        for option in action.option_strings:
            if action.help != argparse.SUPPRESS:
                node.options[option] = (action.nargs != 0, action.help or "")
    return node


def _paths(node: Node, path: str = "") -> list[tuple[str, Node]]:
    out = [(path, node)]
    for name, (_, child) in node.commands.items():
        out.extend(_paths(child, f"{path}/{name}"))
    return out


def bash(node: Node, prog: str) -> str:
    func = "_" + prog.replace("-", "_")
    children: list[str] = []
    options: list[str] = []
    valued: set[str] = set()
    for path, level in _paths(node):
        children.append(f'        "{path}") echo "{" ".join(level.commands)}" ;;')
        options.append(f'        "{path}") echo "{" ".join(level.options)}" ;;')
        valued.update(o for o, (takes, _) in level.options.items() if takes)
    nl = "\n"
    return f"""# {prog} completion for bash (and zsh through bashcompinit)
{func}_children() {{
    case "$1" in
{nl.join(children)}
    esac
}}
{func}_options() {{
    case "$1" in
{nl.join(options)}
    esac
}}
{func}() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" path="" word i
    (( COMP_CWORD > 0 )) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${{COMP_WORDS[i]}}"
        case " $({func}_children "$path") " in
            *" $word "*) path="$path/$word" ;;
        esac
    done
    case "$prev" in
        {"|".join(sorted(valued)) or "--"})
            COMPREPLY=( $(compgen -f -- "$cur") )
            return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=( $(compgen -W "$({func}_options "$path")" -- "$cur") )
        return
    fi
    local kids
    kids="$({func}_children "$path")"
    if [[ -n "$kids" ]]; then
        COMPREPLY=( $(compgen -W "$kids" -- "$cur") )
    else
        COMPREPLY=( $(compgen -f -- "$cur") )
    fi
}}
complete -o filenames -o bashdefault -F {func} {prog}
"""


def zsh(node: Node, prog: str) -> str:
    return (
        f"#compdef {prog}\n# {prog} completion for zsh: the bash script, through bashcompinit\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(node, prog)
    )


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(node: Node, prog: str) -> str:
    func = "__" + prog.replace("-", "_")
    cases = []
    lines = [f"# {prog} completion for fish", f"complete -c {prog} -f"]
    for path, level in _paths(node):
        cases.append(
            f"        case {_fish_quote(path or '/')}\n            echo {' '.join(level.commands)}"
        )
        test = f"test ({func}_path) = {_fish_quote(path or '/')}"
        for name, (help_text, _) in level.commands.items():
            lines.append(f"complete -c {prog} -n {_fish_quote(test)} -a {name} "
                         f"-d {_fish_quote(help_text)}")  # fmt: skip
        for option, (takes, help_text) in level.options.items():
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            value = " -r -F" if takes else ""
            lines.append(f"complete -c {prog} -n {_fish_quote(test)} {flag}{value} "
                         f"-d {_fish_quote(help_text)}")  # fmt: skip
        if not level.commands:
            lines.append(f"complete -c {prog} -n {_fish_quote(test)} -F")
    nl = "\n"
    return f"""function {func}_children
    switch $argv[1]
{nl.join(cases)}
    end
end
function {func}_path
    set -l path /
    for word in (commandline -opc)[2..-1]
        if contains -- $word ({func}_children $path)
            if test $path = /
                set path /$word
            else
                set path $path/$word
            end
        end
    end
    echo $path
end
{nl.join(lines)}
"""


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for `shell` ("bash", "zsh" or "fish")."""
    prog = parser.prog
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](tree(parser), prog)


def add_completion(p: argparse.ArgumentParser, parents: list[argparse.ArgumentParser]) -> None:
    p.description = (
        "Print a completion script. bash: `source <(photofind completion bash)` "
        "(or save it in ~/.local/share/bash-completion/completions/photofind); zsh: save it "
        "as _photofind on $fpath; fish: save it in ~/.config/fish/completions/photofind.fish."
    )
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(run=cmd_completion)


def cmd_completion(args: argparse.Namespace) -> int:
    import sys

    from photofind.cli import build_parser

    sys.stdout.write(script(build_parser(), args.shell))
    return 0
