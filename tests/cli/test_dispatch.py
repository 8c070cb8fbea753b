"""The dispatcher imports only the command asked for: `--help` and `--version` start at once, and every
command's full parser is still there when it is named."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from sartriage.cli import build_parser, main
from sartriage.cli.commands import COMMANDS
from sartriage.store import open_store

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


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    with open_store(db):
        pass
    # a reader that has gone before the command writes, as after `| head` has read its lines
    code = (
        "import sys\nfrom sartriage.cli import main\n"
        f"raise SystemExit(main(['status', '--db', {str(db)!r}, '--json']))"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None
    reader.stdout.close()  # gone before the command writes
    err = reader.stderr.read() if reader.stderr else ""
    assert reader.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.parametrize("value", ["-3", "0", "two"])
def test_threads_must_be_a_whole_number_of_at_least_one(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser(["scan"]).parse_args(["scan", ".", "--db", "m.sqlite", "--threads", value])
    assert "--threads" in capsys.readouterr().err


def test_a_bad_db_is_told_before_the_model_is_looked_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    code = main(["scan", str(folder), "--db", str(tmp_path), "--model", str(tmp_path / "missing.onnx")])
    err = capsys.readouterr().err
    assert code == 1 and str(tmp_path) in err and "missing.onnx" not in err


def test_review_server_help_shows_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    helped = " ".join(_help(build_parser(["review-server"]), ["review-server", "--help"], capsys).split())
    assert "default 127.0.0.1" in helped and "default 8000" in helped and "default 3)" in helped
