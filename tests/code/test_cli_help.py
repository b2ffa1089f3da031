"""Every command's ``--help`` reads as written: no text eaten by markup, every default shown."""

import re

import pytest
import typer
from typer.testing import CliRunner

from ticketbuddy.cli import app


def commands(group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):  # a group of sub-commands
            yield from commands(command, path)
        else:
            yield path, command


ALL = list(commands(typer.main.get_command(app)))


def test_every_command_is_found():
    names = {" ".join(path) for path, _ in ALL}
    assert {
        "serve",
        "score",
        "train",
        "evaluate",
        "promote",
        "champion",
        "data synth",
        "policy check",
    } <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_keeps_every_word_and_shows_named_defaults(path, command):
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert not re.search(r"\w \.( |$)", text), text  # "Port ." : a bracketed default was eaten
    for param in command.params:
        if isinstance(param.show_default, str):
            assert param.show_default in text, (param.name, param.show_default)
        if param.help:
            first_words = " ".join(param.help.split()[:3])
            assert first_words in text, (param.name, first_words)
