"""The dispatcher imports only the command asked for: `--help` and `--version` start at once, and every
command's full parser is still there when it is named."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from sartriage.cli import build_parser
from sartriage.cli.commands import COMMANDS

HEAVY = ("sartriage.scan", "sartriage.export", "sartriage.review", "matplotlib", "onnxruntime", "sqlalchemy")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\nfrom sartriage.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_help_and_version_import_no_command(args: list[str]) -> None:
    loaded = _modules_after(args)
    assert not {m for m in loaded for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")}


def test_a_command_imports_its_own_module_only() -> None:
    loaded = _modules_after(["status", "--help"])
    assert "sartriage.cli.status" in loaded
    assert not {"sartriage.cli.train", "sartriage.cli.review", "sartriage.cli.export"} & loaded


def _help(parser: argparse.ArgumentParser, args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        parser.parse_args(args)
    return capsys.readouterr().out


def test_every_command_is_listed_and_each_has_its_full_options(capsys: pytest.CaptureFixture[str]) -> None:
    listing = _help(build_parser(["--help"]), ["--help"], capsys)
    assert all(name in listing for name in COMMANDS)
    for name in COMMANDS:
        named = _help(build_parser([name, "--help"]), [name, "--help"], capsys)
        assert named == _help(build_parser(), [name, "--help"], capsys)
        other = next(n for n, (module, _) in COMMANDS.items() if module != COMMANDS[name][0])
        assert named != _help(build_parser([other]), [name, "--help"], capsys)  # more than a placeholder
